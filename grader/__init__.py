"""torch-grader: grades PyTorch exercises in a sandbox and explains what is wrong."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext grader` in Jupyter or Colab registers `%grade exercise3`."""
    from grader.notebook.kernel import load_ipython_extension as load

    load(ipython)


def check(*exercise_ids: str, **options: Any) -> Any:
    """`grader.check("exercise3")` in a notebook: grade the cells run so far (no magics needed).

    Imported lazily, so that `import grader` stays as light as it was for everything else.
    """
    from grader.notebook.kernel import check as grade_cells_run

    return grade_cells_run(*exercise_ids, **options)
