"""Gradescope's autograder results.json: one test per check and device, scores as the run gave.

Format: https://gradescope-autograders.readthedocs.io/en/latest/specs/ (top level `score`,
`execution_time`, `output`, the `*_format` settings, `tests`; each test `name`, `score`,
`max_score`, `status`, `output`, `visibility`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from grader.report.html import clean, details, phrase, points
from grader.report.visibility import VISIBILITIES, VISIBILITY
from grader.results import RunResult, write_atomic

TEXT = "text"


def _score(value: float) -> float:
    return round(float(value), 4)


def _summary(run: RunResult, lang: str) -> str:
    passed = sum(1 for e in run.exercises if e.status == "passed")
    lines = [phrase("progress", lang, passed=passed, total=len(run.exercises))]
    for exercise in run.exercises:
        status = phrase(f"status_{exercise.status}", lang)
        line = f"{exercise.id}: {status} ({points(exercise.score)}/{points(exercise.max_score)})"
        if exercise.reason:
            line += f": {clean(exercise.reason, 300, lang).splitlines()[0]}"
        lines.append(line)
    return "\n".join(lines)


def build(run: RunResult, lang: str = "en", visibility: str = VISIBILITY) -> dict[str, Any]:
    """The results.json object of a run.

    A check that did not run here (no CUDA device, needs 2 GPUs) is left out: it is worth
    nothing on this machine, and a 0/0 test would only puzzle the student. `visibility` is each
    check's test's (one of VISIBILITIES); a summary test of an exercise that did not run is
    always visible, so that a student sees why.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}")
    tests: list[dict[str, Any]] = []
    for exercise in run.exercises:
        hint = exercise.hint if exercise.status != "passed" else ""
        for check in exercise.checks:
            if check.status == "skipped":
                continue
            test: dict[str, Any] = {
                "name": f"{exercise.id}: {clean(check.title or check.name, 300)} [{check.device}]",
                "score": _score(check.points),
                "max_score": _score(check.max_points),
                "status": "passed" if check.status == "passed" else "failed",
                "output": details(check, lang, hint) if check.status != "passed" else "",
                "visibility": visibility,
            }
            tests.append(test)
        if not exercise.checks and exercise.status != "passed":
            status = phrase(f"status_{exercise.status}", lang)
            reason = exercise.reason or status
            output = "\n".join(p for p in (clean(reason, lang=lang), clean(hint, lang=lang)) if p)
            tests.append(
                {
                    "name": f"{exercise.id}: {clean(exercise.title, 300)} [{status}]",
                    "score": _score(exercise.score),
                    "max_score": _score(exercise.max_score),
                    "status": "failed",
                    "output": output,
                    "visibility": VISIBILITY,
                }
            )
    return {
        "score": _score(sum(e.score for e in run.exercises)),
        "execution_time": math.ceil(max(run.duration, 0.0)),
        "output": _summary(run, lang),
        # Learner text is shown as text: Gradescope must not interpret it as HTML or Markdown.
        "output_format": TEXT,
        "test_output_format": TEXT,
        "test_name_format": TEXT,
        "tests": tests,
    }


def to_json(run: RunResult, lang: str = "en", visibility: str = VISIBILITY) -> str:
    """results.json as text."""
    return json.dumps(build(run, lang, visibility), indent=2, ensure_ascii=False) + "\n"


def write_gradescope(
    run: RunResult, path: Path, lang: str = "en", visibility: str = VISIBILITY
) -> None:
    """Write Gradescope's results.json for a run to `path` atomically."""
    write_atomic(Path(path), to_json(run, lang, visibility))
