"""A learner's own helper modules beside their exercise files import in the worker."""

from __future__ import annotations

from pathlib import Path

from grader import catalog
from grader.engine.run import RunOptions, grade
from grader.learner_modules import copy_beside, helper_files

HELPED = """\
from helpers import batch_of_one


def add_batch_dim(image):
    return batch_of_one(image)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
"""
HELPERS = "def batch_of_one(image):\n    return image.unsqueeze(0)\n"


def test_helper_files_are_the_siblings_that_are_not_exercise_files(tmp_path: Path) -> None:
    for name in ("helpers.py", "exercise01_squeeze.py", "notes.txt", "bad-name.py", "_x.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "linked.py").symlink_to(tmp_path / "helpers.py")
    assert [p.name for p in helper_files(tmp_path)] == ["helpers.py", "linked.py"]
    target = tmp_path / "worker"
    target.mkdir()
    assert copy_beside(tmp_path / "exercise01_squeeze.py", str(target)) == ["helpers.py"]


def test_a_students_helper_module_imports(tmp_path: Path) -> None:
    (tmp_path / "exercise01_squeeze.py").write_text(HELPED)
    (tmp_path / "helpers.py").write_text(HELPERS)
    options = RunOptions(workspace=tmp_path, exercises=(catalog.find("exercise1"),), device="cpu")
    (exercise,) = grade(options).exercises
    assert exercise.status == "passed", (exercise.reason, exercise.checks)
