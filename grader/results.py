"""Results of a grading run and their versioned JSON form, as small pure functions.

The JSON (schema_version 1) is documented in README.md; every writer (terminal, HTML, JUnit,
Gradescope) reads these dataclasses, never the checks themselves.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
EXERCISE_STATUSES = ("passed", "failed", "not_started", "error")
CHECK_STATUSES = ("passed", "failed", "error", "skipped")


@dataclass
class CheckResult:
    """One check on one device."""

    name: str
    device: str
    status: str
    points: float = 0.0
    max_points: float = 0.0
    title: str = ""
    message: str = ""
    diagnosis: str = ""
    mistake: str = ""
    example: str = ""
    line: int | None = None
    # The message in every language, where the check's words are data: `grade report --lang`
    # re-words a stored run from it. Empty in results written before it existed.
    texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in CHECK_STATUSES:
            raise ValueError(f"check status must be one of {CHECK_STATUSES}, got {self.status!r}")
        texts = getattr(self.message, "texts", None)  # a checking.Worded: keep every language
        if isinstance(texts, dict):
            self.texts = {**texts, **self.texts}
            self.message = str(self.message)


@dataclass
class ExerciseResult:
    """The verdict on one exercise."""

    id: str
    title: str
    status: str
    reason: str = ""
    score: float = 0.0
    max_score: float = 0.0
    checks: list[CheckResult] = field(default_factory=list)
    hint: str = ""
    output: str = ""
    duration: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in EXERCISE_STATUSES:
            raise ValueError(
                f"exercise status must be one of {EXERCISE_STATUSES}, got {self.status!r}"
            )


@dataclass
class RunResult:
    """A whole grading run."""

    exercises: list[ExerciseResult]
    seed: int | None = 0  # None: a private seed, used for the run and never shown
    devices: list[str] = field(default_factory=list)
    torch_version: str = ""
    grader_version: str = ""
    duration: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every exercise of the run passed."""
        return bool(self.exercises) and all(e.status == "passed" for e in self.exercises)


def strip_control(text: str) -> str:
    """Learner-controlled text without ANSI escapes or control characters (newlines and tabs kept)."""
    return _CONTROL.sub("", _ANSI.sub("", text))


def split_points(points: float, devices_run: int) -> float:
    """A check's points are shared by the devices it ran on, so max_score never depends on them."""
    return points / devices_run if devices_run else 0.0


def exercise_status(checks: list[CheckResult]) -> tuple[str, str]:
    """Status and reason of an exercise whose checks ran."""
    errors = [c for c in checks if c.status == "error"]
    if errors:
        first = errors[0]
        return "error", first.message.split("\n", 1)[0]
    ran = [c for c in checks if c.status != "skipped"]
    if ran and all(c.status == "passed" for c in ran):
        return "passed", ""
    return "failed", ""


def problems(exercise: ExerciseResult) -> list[CheckResult]:
    """Every check to fix, most urgent first: errors, then failures; one entry per check.

    A check that failed on two devices is one thing to fix, so only its first entry is kept.
    """
    ranked: list[CheckResult] = []
    seen: set[str] = set()
    for wanted in ("error", "failed"):
        for c in exercise.checks:
            if c.status == wanted and c.name not in seen:
                seen.add(c.name)
                ranked.append(c)
    return ranked


def first_problem(exercise: ExerciseResult) -> CheckResult | None:
    """The check to fix first: the first error, else the first failure."""
    ranked = problems(exercise)
    return ranked[0] if ranked else None


def to_dict(run: RunResult) -> dict[str, Any]:
    """The documented JSON form of a run."""
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": run.seed,
        "devices": list(run.devices),
        "torch_version": run.torch_version,
        "grader_version": run.grader_version,
        "duration": round(run.duration, 3),
        "notes": list(run.notes),
        "score": sum(e.score for e in run.exercises),
        "max_score": sum(e.max_score for e in run.exercises),
        "exercises": [asdict(e) for e in run.exercises],
    }


def from_dict(data: dict[str, Any]) -> RunResult:
    """Inverse of `to_dict`; ValueError when the schema version is not one we read."""
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"results schema_version {data.get('schema_version')!r} is not {SCHEMA_VERSION}"
        )
    return RunResult(
        exercises=[exercise_from_dict(entry) for entry in data["exercises"]],
        seed=data.get("seed", 0),
        devices=list(data.get("devices", [])),
        torch_version=data.get("torch_version", ""),
        grader_version=data.get("grader_version", ""),
        duration=data.get("duration", 0.0),
        notes=list(data.get("notes", [])),
    )


def exercise_from_dict(entry: dict[str, Any]) -> ExerciseResult:
    """One exercise's JSON form back into an ExerciseResult."""
    fields = dict(entry)
    fields["checks"] = [CheckResult(**c) for c in fields.get("checks", [])]
    return ExerciseResult(**fields)


def to_json(run: RunResult) -> str:
    """`to_dict` as indented JSON text."""
    return json.dumps(to_dict(run), indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
