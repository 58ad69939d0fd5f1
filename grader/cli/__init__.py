"""The `grade` command line: a thin layer over the library packages, assembled in `app`.

Nothing outside this package imports from it (the import contract test enforces it).
"""

from grader.cli.app import cli, main

__all__ = ["cli", "main"]
