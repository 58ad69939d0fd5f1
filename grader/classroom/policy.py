"""An instructor's decisions on top of the verdicts: manual overrides, deadlines, late penalties.

Both live in small TOML files that are applied on every run (so a regrade never loses them)
and shown wherever the grade is: the gradebook and the class page. The students' own reports
keep the verdict of their code.

    # overrides.toml
    [[override]]
    student = "bob"
    exercise = "exercise3"
    points = 10              # or: status = "excused" (the exercise leaves the maximum)
    reason = "regrade: the fix was in the email of 3 May"

    # deadlines.toml
    due = 2026-05-01T23:59:00Z
    penalty_per_day = 10     # percent of the earned points per started day late
    max_penalty = 100        # percent, at most
    [extensions]
    bob = 2026-05-03T23:59:00Z

    submission_time = "file"  # or "commit": the last git commit touching the files

The submission time is the newest modification time of the student's exercise files (an LMS
zip keeps them, `git clone` does not), or with `submission_time = "commit"` the time of the
last commit touching them when the submission is a git checkout (`commits`), else file times.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

from grader.classroom import commits
from grader.classroom.model import SUBMISSION_TIMES, Deadlines, Override, Policy
from grader.classroom.workspace import learner_files

if TYPE_CHECKING:
    from grader.classroom.model import ClassResult, Student

__all__ = ["Deadlines", "Grade", "Override", "Policy", "PolicyError", "grade_of", "load"]

OVERRIDES_FILE, DEADLINES_FILE = "overrides.toml", "deadlines.toml"
EXCUSED = "excused"
DAY = 86400.0


class PolicyError(Exception):
    """overrides.toml or deadlines.toml is malformed.

    Cause: the message names the file and the entry. Remedy: fix it (a usage error, exit 2).
    """


@dataclass
class Grade:
    """A student's grade after the policy: per-exercise points, the total and why."""

    scores: dict[str, float]
    statuses: dict[str, str]
    maxima: dict[str, float]
    notes: list[str] = field(default_factory=list)
    late_days: int = 0
    penalty: float = 0.0  # percent
    submitted: dt.datetime | None = None
    submitted_by: str = ""  # "commit" or "file": where the submission time came from

    @property
    def raw(self) -> float:
        """The points before the late penalty."""
        return sum(self.scores.values())

    @property
    def maximum(self) -> float:
        """The points possible (excused exercises left out)."""
        return sum(self.maxima.values())

    @property
    def total(self) -> float:
        """The points after the late penalty."""
        return round(self.raw * (1 - self.penalty / 100), 3)


def _read(path: Path | None) -> dict:
    if path is None or not Path(path).is_file():
        return {}
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read {path}: {exc}") from None


def _time(value: object, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, 23, 59, 59, tzinfo=dt.timezone.utc)
    raise PolicyError(f"{where}: expected a date-time such as 2026-05-01T23:59:00Z, got {value!r}")


def load(overrides: Path | None, deadlines: Path | None) -> Policy:
    """The policy in these files (either may be absent); PolicyError names a bad entry."""
    found = []
    for index, entry in enumerate(_read(overrides).get("override", [])):
        where = f"{overrides}: override {index + 1}"
        if not isinstance(entry, dict) or not {"student", "exercise"} <= set(entry):
            raise PolicyError(f"{where}: needs student and exercise")
        points, status = entry.get("points"), str(entry.get("status", ""))
        if (points is None) == (not status):
            raise PolicyError(f"{where}: give either points or status")
        if points is not None and (isinstance(points, bool) or not isinstance(points, int | float)):
            raise PolicyError(f"{where}: points should be a number, got {points!r}")
        if status and status not in (EXCUSED, "passed", "failed"):
            raise PolicyError(f"{where}: status should be excused, passed or failed")
        reason = str(entry.get("reason", "")).strip()
        found.append(
            Override(str(entry["student"]), str(entry["exercise"]), points, status, reason)
        )
    data = _read(deadlines)
    rules = None
    if data:
        if "due" not in data:
            raise PolicyError(f"{deadlines}: needs due = <date-time>")
        extensions = data.get("extensions", {})
        how = data.get("submission_time", "file")
        if how not in SUBMISSION_TIMES:
            raise PolicyError(
                f"{deadlines}: submission_time should be one of {', '.join(SUBMISSION_TIMES)}, "
                f"got {how!r}"
            )
        rules = Deadlines(
            due=_time(data["due"], f"{deadlines}: due"),
            penalty_per_day=float(data.get("penalty_per_day", 0)),
            max_penalty=float(data.get("max_penalty", 100)),
            extensions={
                str(k): _time(v, f"{deadlines}: extensions.{k}") for k, v in extensions.items()
            },
            submitted=how,
        )
    return Policy(tuple(found), rules)


def submitted_at(folder: Path | None) -> dt.datetime | None:
    """The newest modification time of the student's exercise files (None when none)."""
    if folder is None:
        return None
    times = []
    for path in learner_files(folder):
        try:
            times.append(path.lstat().st_mtime)
        except OSError:
            continue
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc) if times else None


def submission_time(
    folder: Path | None, top: Path, how: str = "file"
) -> tuple[dt.datetime | None, str]:
    """When the student submitted, and how that is known: ("commit" or "file").

    With `how == "commit"`, the time of the last git commit touching their files when `folder`
    is in a git checkout (looked for up to `top`, the student's submission); file times else.
    """
    if folder is None:
        return None, ""
    if how == "commit":
        stamp = commits.committed_at(learner_files(folder), folder, top)
        if stamp is not None:
            return dt.datetime.fromtimestamp(stamp, dt.timezone.utc), "commit"
    found = submitted_at(folder)
    return found, "file" if found else ""


def grade_of(student: Student, result: ClassResult, policy: Policy) -> Grade:
    """The student's grade: verdicts, then overrides, then the late penalty."""
    exercises = result.options.exercises
    found = {e.id: e for e in student.run.exercises} if student.run else {}
    grade = Grade(
        scores={e.id: found[e.id].score if e.id in found else 0.0 for e in exercises},
        statuses={
            e.id: found[e.id].status if e.id in found else student.problem for e in exercises
        },
        maxima={e.id: float(e.max_score) for e in exercises},
    )
    for rule in policy.overrides:
        if rule.student != student.id or rule.exercise not in grade.maxima:
            continue
        maximum = grade.maxima[rule.exercise]
        if rule.status == EXCUSED:
            grade.scores[rule.exercise], grade.maxima[rule.exercise] = 0.0, 0.0
        elif rule.status:
            grade.scores[rule.exercise] = maximum if rule.status == "passed" else 0.0
        elif rule.points is not None:  # a rule has points or a status (checked when read)
            grade.scores[rule.exercise] = float(rule.points)
        grade.statuses[rule.exercise] = rule.status or "overridden"
        shown = rule.status or f"{rule.points:g}/{maximum:g}"
        grade.notes.append(
            f"{rule.exercise}: {shown} by override" + (f" ({rule.reason})" if rule.reason else "")
        )
    rules = policy.deadlines
    if rules is not None and not student.problem:
        top = Path(result.options.submissions) / student.id
        grade.submitted, grade.submitted_by = submission_time(student.folder, top, rules.submitted)
        due = rules.extensions.get(student.id, rules.due)
        if grade.submitted is not None and grade.submitted > due:
            grade.late_days = math.ceil((grade.submitted - due).total_seconds() / DAY)
            grade.penalty = min(rules.max_penalty, grade.late_days * rules.penalty_per_day)
            when = f"{'last commit' if grade.submitted_by == 'commit' else 'files'} {stamp(grade)}"
            grade.notes.append(f"{grade.late_days} day(s) late ({when}): -{grade.penalty:g}%")
    return grade


def stamp(grade: Grade) -> str:
    """The submission time as the gradebook writes it (UTC, to the second), or ""."""
    if grade.submitted is None:
        return ""
    return grade.submitted.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
