"""The plain data of a class run: its options, its students, the instructor's policy.

This module imports no other module of `grader.classroom`, so that every other one may import
it (the package's import graph stays acyclic: model <- layout, workspace, policy, similarity,
gradebook, report, dispatch, cluster <- grading).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.catalog import Exercise
from grader.results import RunResult
from grader.sandbox.limits import Limits

if TYPE_CHECKING:
    from grader.sandbox import zygote


class ClassError(Exception):
    """The class cannot be graded as asked (bad folders, missing Dask, unreachable cluster).

    Cause: the message names the path or address. Remedy: fix the command line (the CLI turns
    this into a usage error, exit status 2).
    """


@dataclass(frozen=True)
class ClassOptions:
    """How to grade a class; the per-student settings are those of `grade check`."""

    submissions: Path
    out: Path
    exercises: tuple[Exercise, ...]
    device: str = "all"
    seed: int = 0
    seed_private: bool = False  # used for every student, kept in OUT, never shown in reports
    max_examples: int = 20
    limits: Limits = field(default_factory=Limits)
    lang: str = "en"
    jobs: int = 1
    dask: str | None = None
    dask_wait: float = 120.0  # seconds a Dask cluster may have no worker before the run ends
    overrides: Path | None = None  # overrides.toml (default: OUT/overrides.toml if present)
    deadlines: Path | None = None  # deadlines.toml (default: OUT/deadlines.toml if present)
    formats: tuple[str, ...] = ("csv",)  # gradebooks to write: csv, canvas, moodle
    plain: bool = False  # no byte-order mark in the CSV files
    anonymise: bool = False  # also write anonymised/ gradebooks with stable pseudonyms
    # The fork server every student's workers come from, owned by the caller (who closes it);
    # None: the class starts one of its own with the preloads its exercises need.
    server: zygote.Zygote | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.exercises:
            raise ValueError("no exercises to grade")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs!r}")


@dataclass
class Student:
    """One student's row: the run (None when they could not be graded), quiz and content hash."""

    id: str
    digest: str
    run: RunResult | None = None
    quiz: dict[str, tuple[float, float]] = field(default_factory=dict)
    error: str = ""
    reused: bool = False
    folder: Path | None = None  # where their files are (a nested folder, an unpacked zip)
    problem: str = ""  # "missing" or "unreadable": a verdict on the submission, not a failure


@dataclass(frozen=True)
class Override:
    """One manual decision on one exercise of one student."""

    student: str
    exercise: str
    points: float | None
    status: str
    reason: str


SUBMISSION_TIMES = ("file", "commit")


@dataclass(frozen=True)
class Deadlines:
    """A due time, the late penalty, per-student extensions, and what "submitted" means.

    `submitted` is "file" (the newest modification time of the student's files) or "commit"
    (the time of the last git commit touching them, when the submission is a git checkout;
    the file times otherwise).
    """

    due: dt.datetime
    penalty_per_day: float = 0.0
    max_penalty: float = 100.0
    extensions: dict[str, dt.datetime] = field(default_factory=dict)
    submitted: str = "file"


@dataclass(frozen=True)
class Policy:
    """Everything an instructor decided for this class."""

    overrides: tuple[Override, ...] = ()
    deadlines: Deadlines | None = None


@dataclass
class ClassResult:
    """A whole class: one row per student, in id order."""

    options: ClassOptions
    students: list[Student]
    policy: Policy = field(default_factory=Policy)

    @property
    def complete(self) -> bool:
        """Whether every student got a verdict (failing, missing and unreadable included)."""
        return all(s.run is not None or s.problem for s in self.students)
