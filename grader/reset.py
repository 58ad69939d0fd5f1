"""`grade reset`: put an exercise's untouched stub back, keeping a backup of the learner's file."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from grader import catalog, notebook, progress, results
from grader.catalog import Exercise
from grader.course import stub_path

BACKUPS = "backups"


def backup_path(
    workspace: Path, exercise: Exercise, now: float | None = None, suffix: str = ".py"
) -> Path:
    """`<workspace>/.grade/backups/<stem>.<timestamp>.py`, never one that already exists."""
    folder = progress.state_dir(workspace) / BACKUPS
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    path = folder / f"{exercise.stem}.{stamp}{suffix}"
    number = 2
    while path.exists():
        path = folder / f"{exercise.stem}.{stamp}-{number}{suffix}"
        number += 1
    return path


def forget(workspace: Path, exercise_id: str) -> None:
    """Drop the exercise's last verdict and hint level, so `grade list` shows it as not run."""
    last = progress.last_run(workspace)
    if last is not None and any(e.id == exercise_id for e in last.exercises):
        last.exercises = [e for e in last.exercises if e.id != exercise_id]
        results.write_atomic(progress.state_dir(workspace) / "last-run.json", results.to_json(last))
    hints = progress.state_dir(workspace) / "hints.json"
    try:
        seen = json.loads(hints.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(seen, dict) and exercise_id in seen:
        del seen[exercise_id]
        results.write_atomic(hints, json.dumps(seen, indent=2) + "\n")


def reset(
    workspace: Path, exercise: Exercise, now: float | None = None, lang: str = "en"
) -> tuple[bool, Path | None]:
    """Restore the stub of `exercise` in `workspace`: whether the file changed, and its backup.

    The stub is written in `lang` where a translation exists (English otherwise). An untouched
    stub in another language is replaced without a backup: it holds no work of the learner.
    FileNotFoundError when the grader has no stub for it (an incomplete installation).
    """
    target = notebook.learner_path(Path(workspace), exercise.file)
    if notebook.is_notebook(target):  # a notebook workspace gets its notebook back, not a .py
        from grader.notebook.convert import notebook_text

        pristine = notebook_text(exercise, lang).encode("utf-8")
        untouched = {notebook_text(exercise, other).encode("utf-8") for other in catalog.LANGUAGES}
    else:
        pristine = stub_path(exercise, lang).read_bytes()
        untouched = {pristine} | {
            path.read_bytes()
            for path in (stub_path(exercise, other) for other in catalog.LANGUAGES)
            if path.is_file()
        }
    current = target.read_bytes() if target.is_file() else None
    backup = None
    if current is not None and current not in untouched:
        backup = backup_path(workspace, exercise, now, target.suffix)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    changed = current != pristine
    if changed:
        results.write_atomic(target, pristine.decode("utf-8"))
    forget(workspace, exercise.id)
    return changed, backup
