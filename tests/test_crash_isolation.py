"""A crash costs only its own checks: exercise 3's train-mode check is asked with a loader that
the learner's train_epoch can take, so a plain-list crash does not cost the mode it got right."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.engine.run import RunOptions, grade

CORPUS = Path(__file__).resolve().parent / "submissions" / "exercise3"


def statuses(name: str, tmp_path: Path) -> dict[str, tuple[str, str]]:
    exercise = catalog.find("exercise3")
    shutil.copy(CORPUS / name, tmp_path / exercise.file)
    run = grade(RunOptions(workspace=tmp_path, exercises=(exercise,), device="cpu"))
    return {c.name: (c.status, c.mistake) for c in run.exercises[0].checks}


@pytest.mark.slow
def test_a_loader_crash_leaves_the_train_mode_check_standing(tmp_path: Path) -> None:
    found = statuses("mistake_epoch_dataset_len.py", tmp_path)
    assert found["train_epoch_train_mode"] == ("passed", "")
    assert found["train_epoch_every_batch"] == ("failed", "loader_attributes")
    assert all(found[c][0] == "passed" for c in found if c.startswith("train_step"))


@pytest.mark.slow
def test_the_train_mode_check_still_catches_a_missing_train_call(tmp_path: Path) -> None:
    found = statuses("mistake_epoch_no_train_mode.py", tmp_path)
    assert found["train_epoch_train_mode"] == ("failed", "no_train_mode")
