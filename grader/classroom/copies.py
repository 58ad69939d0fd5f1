"""Identical files, one grading: a class job grades each distinct exercise file once.

A verdict depends on nothing but the file's bytes, the learner's helper modules beside it and
the class's settings (one seed for the whole class): grading the same bytes again could only
differ by chance, such as a time limit hit on a loaded machine. So a grading job that meets an
exercise file it has graded before, byte for byte, with the same helpers and settings, gives it
that verdict again. This is quicker (classes hand in many identical files), and identical
submissions get identical grades.

What is kept and where:
- Each job keeps its own memory of verdicts: a forked job, or a Dask worker process. Nothing is
  kept on disk, so nothing a learner wrote is trusted beyond the run that read it.
- A verdict with an error in it (a crash, a time limit) is never kept: grading again may go
  otherwise.
- Notebooks are graded every time: their conversion notes belong to the student's run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from grader import learner_modules, nofollow
from grader.catalog import Exercise
from grader.source import MAX_SOURCE_BYTES

MAX_KEPT = 4096  # verdicts one job remembers (a class's distinct files, many times over)
_kept: dict[str, tuple[str, dict[str, Any]]] = {}  # key -> (workspace graded in, the verdict)
_frames: dict[str, dict[str, Any]] = {}  # settings digest -> a run's fields besides exercises


def settings_digest(config: dict[str, Any]) -> str:
    """The digest of a class's settings: what every verdict depends on besides the files."""
    text = json.dumps({k: v for k, v in config.items() if k != "exercises"}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def key(workspace: Path, exercise: Exercise, config: dict[str, Any]) -> str | None:
    """What grading `exercise` in `workspace` depends on, as a digest; None: grade it anyway.

    None when the exercise's file is not a plain, readable Python file (missing, a notebook,
    a symlink, too large): those are graded every time.
    """
    try:
        data = nofollow.read_bytes(Path(workspace) / exercise.file, MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_SOURCE_BYTES:
        return None
    digest = hashlib.sha256()
    for part in (exercise.id.encode(), settings_digest(config).encode(), data):
        digest.update(len(part).to_bytes(8, "big") + part)
    for helper in learner_modules.helper_files(Path(workspace)):
        try:
            content = nofollow.read_bytes(helper, learner_modules.MAX_BYTES + 1)
        except OSError:
            content = b"\0unreadable"
        for part in (helper.name.encode("utf-8", "surrogateescape"), content):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def relocated(value: Any, old: str, new: str) -> Any:
    """`value` with the path `old` written as `new` in every string (one folder -> another)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [relocated(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: relocated(v, old, new) for k, v in value.items()}
    return value


def recall(found: str | None, workspace: Path) -> dict[str, Any] | None:
    """The verdict kept under `found`, written for `workspace`; None if there is none."""
    kept = _kept.get(found) if found else None
    if kept is None:
        return None
    origin, verdict = kept
    return relocated(verdict, origin, str(workspace))


def keep(found: str | None, workspace: Path, verdict: dict[str, Any]) -> None:
    """Remember `verdict` (an exercise's JSON form) under `found`, unless chance may be in it."""
    if not found or len(_kept) >= MAX_KEPT or verdict.get("status") == "error":
        return
    if any(check.get("status") == "error" for check in verdict.get("checks", [])):
        return
    _kept[found] = (str(workspace), verdict)


def keep_frame(config: dict[str, Any], run: dict[str, Any]) -> None:
    """Remember a run's own fields (versions, devices, notes) for runs that grade nothing."""
    _frames[settings_digest(config)] = {
        k: v for k, v in run.items() if k not in ("exercises", "score", "max_score")
    }


def frame(config: dict[str, Any]) -> dict[str, Any] | None:
    """The fields of an earlier run with these settings, if this job graded one."""
    found = _frames.get(settings_digest(config))
    return dict(found) if found is not None else None
