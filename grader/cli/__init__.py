"""The `grade` command line: a thin layer over the library packages, assembled in `app`.

Nothing outside this package imports from it (the import contract test enforces it). `main`
starts a grading command's fork server before importing the rest (`early`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.cli.app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point: the fork server first, then click and the commands."""
    from grader.cli.early import server_for

    server = server_for(sys.argv[1:])
    from grader.cli.app import main as run

    run(server)


def __getattr__(name: str) -> Any:
    """`cli` is imported when asked for, so that `main` can start the server first."""
    if name == "cli":
        from grader.cli.app import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
