"""A learner's own helper modules: the `helpers.py` beside their exercise files.

The worker imports a copy of the exercise file from its own temporary folder (the learner's
folder is hidden from it), so a module the learner wrote next to it would not import. The
trusted side copies those siblings into the worker's folder as well: plain `*.py` files that
are not exercise files of the catalog, read without following symlinks, a bounded number and
size of them. They are learner code like the exercise file and run only in the worker.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from grader import catalog

MAX_FILES = 20
MAX_BYTES = 1 << 20
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")


def _exercise_files() -> set[str]:
    """Names that belong to exercises (every catalog layer's, and their notebooks)."""
    try:
        files = {e.file for e in catalog.exercises()} | {e.file for e in catalog.load()}
    except catalog.CatalogError:
        files = set()
    return files | {f.removesuffix(".py") + ".ipynb" for f in files}


def helper_files(folder: Path) -> list[Path]:
    """The learner's helper modules in `folder`: importable names, not exercise files, sorted."""
    exercise_files = _exercise_files()
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = [
        Path(folder) / name
        for name in names
        if _MODULE.match(name) and name not in exercise_files and not name.startswith("_")
    ]
    return found[:MAX_FILES]


def copy_beside(exercise_file: Path, tmpdir: str) -> list[str]:
    """Copy the helper modules beside `exercise_file` into the worker's `tmpdir`; their names.

    A symlink, a folder, an unreadable or an oversized file is left out: the learner's import
    of it then fails in their own code, with the usual import error.
    """
    from grader import nofollow

    copied = []
    for path in helper_files(Path(exercise_file).parent):
        try:
            content = nofollow.read_bytes(path, MAX_BYTES + 1)
        except OSError:
            continue
        if len(content) > MAX_BYTES:
            continue
        target = os.path.join(tmpdir, path.name)
        try:
            with open(target, "xb") as handle:
                handle.write(content)
        except OSError:
            continue
        copied.append(path.name)
    return copied
