"""A workspace's memory between runs: the last verdict on each exercise and the hints seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import nofollow, results
from grader.results import ExerciseResult, RunResult

STATE_DIR = ".grade"


def state_dir(workspace: Path) -> Path:
    """Where the grader keeps its files for this workspace.

    The folder is the learner's to delete but never to redirect: a symlink planted in its place
    (to a classmate's `.grade/`, say) is removed here, so the grader never writes through it.
    """
    path = Path(workspace) / STATE_DIR
    if path.is_symlink():
        path.unlink()
    return path


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(nofollow.read_text(path, 16 * 1024 * 1024))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def last_run(workspace: Path) -> RunResult | None:
    """The merged results of earlier runs (each exercise's latest verdict), if any."""
    data = _read_json(state_dir(workspace) / "last-run.json")
    try:
        return results.from_dict(data) if data else None
    except (ValueError, TypeError, KeyError):
        return None


def remember(workspace: Path, run: RunResult) -> RunResult:
    """Merge `run` into the stored results and write them atomically; the merged run."""
    previous = last_run(workspace)
    merged: dict[str, ExerciseResult] = {e.id: e for e in previous.exercises} if previous else {}
    merged.update({e.id: e for e in run.exercises})
    combined = RunResult(
        exercises=sorted(merged.values(), key=lambda e: int(e.id.removeprefix("exercise") or 0)),
        seed=run.seed,
        devices=run.devices,
        torch_version=run.torch_version,
        grader_version=run.grader_version,
        duration=run.duration,
        notes=run.notes,
    )
    results.write_atomic(state_dir(workspace) / "last-run.json", results.to_json(combined))
    return combined


def hint_level(workspace: Path, exercise_id: str) -> int:
    """How many hints of this exercise the learner has asked for."""
    level = _read_json(state_dir(workspace) / "hints.json").get(exercise_id, 0)
    return level if isinstance(level, int) and level >= 0 else 0


def set_hint_level(workspace: Path, exercise_id: str, level: int) -> None:
    """Record that hints up to `level` have been shown."""
    path = state_dir(workspace) / "hints.json"
    data = _read_json(path)
    data[exercise_id] = level
    results.write_atomic(path, json.dumps(data, indent=2) + "\n")
