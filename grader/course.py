"""The course in use: the shipped exercises, with an instructor's private checks folder over them.

One explicit object instead of environment variables read deep in the code: the CLI builds it
from `grade --checks DIR` (or its documented variable `$GRADE_CHECKS`) and installs it with
`use()` before anything is graded; a Dask task installs the one its class was graded with; a
test installs a miniature one. Library code asks `current()` and never reads `os.environ`.

A private folder is a layer, not a replacement: whatever it holds for an exercise (a catalog
entry, `checks/<file>`, `probes/<file>`, quiz topics) takes the place of the shipped piece, and
everything it does not hold is inherited.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.catalog import Exercise

PACKAGE_DIR = Path(__file__).resolve().parent
STUBS_DIR = PACKAGE_DIR / "stubs"  # the pristine stubs (stubs/<lang>/ for translations)


@dataclass(frozen=True)
class Course:
    """Where each piece of the course comes from: the private layer (if any) over the package."""

    private: Path | None = None

    @classmethod
    def layered(cls, folder: Path | str | None) -> Course:
        """The course with `folder` (resolved) as its private layer; the shipped one for None."""
        return cls(Path(folder).resolve() if folder else None)

    @property
    def catalog_file(self) -> Path:
        """The top catalog layer: the private folder's `catalog.toml`, else the shipped one."""
        mine = self._mine("catalog.toml")
        return mine if mine is not None and mine.is_file() else PACKAGE_DIR / "catalog.toml"

    @property
    def checks_dir(self) -> Path:
        """Where the hidden check modules of the top layer are."""
        mine = self._mine("checks")
        return mine if mine is not None and mine.is_dir() else PACKAGE_DIR / "checks"

    @property
    def quiz_bank(self) -> Path | None:
        """The private folder's quiz bank (a layer over the shipped bank), if it has one."""
        mine = self._mine("quiz", "bank.toml")
        return mine if mine is not None and mine.is_file() else None

    def private_file(self, part: str, name: str) -> Path | None:
        """`<private>/<part>/<name>` when the private layer holds it (e.g. probes, a file)."""
        mine = self._mine(part, name)
        return mine if mine is not None and mine.is_file() else None

    def _mine(self, *parts: str) -> Path | None:
        return self.private.joinpath(*parts) if self.private is not None else None


def stub_path(exercise: Exercise, lang: str = "en") -> Path:
    """The pristine stub: the course's private folder's (stubs/ or exercises/), else the shipped.

    The stubs are the main teaching text, so each folder may hold a translation in `<lang>/`
    (same code, docstrings and comments in that language); English is the fallback.
    """
    root = current().private
    folders = [root / "stubs", root / "exercises"] if root is not None else []
    for folder in [*folders, STUBS_DIR]:
        names = [f"{lang}/{exercise.file}", exercise.file] if lang != "en" else [exercise.file]
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return STUBS_DIR / exercise.file


_current = Course()


def current() -> Course:
    """The course installed by `use()` (the shipped one until then)."""
    return _current


def use(course: Course) -> Course:
    """Install `course` for this process (and the jobs it forks); the one it replaces."""
    global _current
    previous, _current = _current, course
    return previous


@contextmanager
def using(course: Course) -> Iterator[Course]:
    """`use(course)` for the duration of a block (tests, one Dask task)."""
    previous = use(course)
    try:
        yield course
    finally:
        use(previous)
