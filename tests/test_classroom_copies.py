"""Identical files in a class are graded once per job, and get the verdict a grading gives."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from grader import catalog
from grader.classroom import copies
from grader.classroom.workspace import grade_workspace
from grader.engine import run as engine

ROOT = Path(__file__).resolve().parent.parent
EX1, EX2 = "exercise01_squeeze.py", "exercise02_to_numpy.py"
MISTAKE1 = ROOT / "tests" / "submissions" / "exercise1" / "mistake_squeeze_all.py"


def config(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    return {
        "exercises": ["exercise1", "exercise2"],
        "device": "cpu",
        "seed": 3,
        "seed_private": False,
        "max_examples": 5,
        "limits": {"call_seconds": 5.0, "exercise_seconds": 20.0},
        "lang": "en",
        "checks_root": None,
        "hide": [str(tmp_path / "class")],
    } | changes


def student(tmp_path: Path, name: str, ex1: Path = ROOT / "solutions" / EX1) -> Path:
    folder = tmp_path / "class" / name
    folder.mkdir(parents=True)
    shutil.copyfile(ex1, folder / EX1)
    shutil.copyfile(ROOT / "solutions" / EX2, folder / EX2)
    return folder


@pytest.fixture
def graded(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The exercises each grading in this process really ran (a spy on the engine)."""
    calls: list[list[str]] = []
    real = engine.grade

    def spy(options: engine.RunOptions) -> Any:
        calls.append([e.id for e in options.exercises])
        return real(options)

    monkeypatch.setattr(engine, "grade", spy)
    monkeypatch.setattr(copies, "_kept", {})
    monkeypatch.setattr(copies, "_frames", {})
    return calls


def comparable(data: dict, folder: Path) -> str:
    """A student's results with their own folder and the timings taken out."""
    data = json.loads(json.dumps(data).replace(str(folder), "STUDENT"))
    data.pop("duration")
    for exercise in data["exercises"]:
        exercise.pop("duration")
    return json.dumps(data, sort_keys=True)


def test_an_identical_file_is_graded_once_with_the_same_verdict(
    tmp_path: Path, graded: list[list[str]]
) -> None:
    settings = config(tmp_path)
    first, second, third = (student(tmp_path, n) for n in ("ann", "ben", "cat"))
    shutil.copyfile(MISTAKE1, third / EX1)
    results = {f: grade_workspace(f, settings) for f in (first, second, third)}
    assert graded == [["exercise1", "exercise2"], ["exercise1"]], graded
    assert comparable(results[first], first) == comparable(results[second], second)
    assert [e["status"] for e in results[third]["exercises"]] == ["failed", "passed"]
    assert results[third]["score"] < results[first]["score"] == results[first]["max_score"]


def test_a_helper_module_or_another_setting_is_graded_again(
    tmp_path: Path, graded: list[list[str]]
) -> None:
    first, second, third = (student(tmp_path, n) for n in ("ann", "ben", "cat"))
    grade_workspace(first, config(tmp_path))
    (second / "helpers.py").write_text("SCALE = 1\n")  # the learner's own module beside them
    grade_workspace(second, config(tmp_path))
    grade_workspace(third, config(tmp_path, seed=4))
    assert graded == [["exercise1", "exercise2"]] * 3, graded


def test_an_error_verdict_is_never_shared(tmp_path: Path, graded: list[list[str]]) -> None:
    settings = config(tmp_path, exercises=["exercise1"])
    folders = [student(tmp_path, n) for n in ("ann", "ben")]
    for folder in folders:
        (folder / EX1).write_text("raise RuntimeError('at import')\n")
    verdicts = [grade_workspace(f, settings)["exercises"][0]["status"] for f in folders]
    assert verdicts == ["error", "error"]
    assert graded == [["exercise1"], ["exercise1"]], "an error may be chance: graded again"


def test_only_a_plain_python_file_is_shared(tmp_path: Path) -> None:
    exercise = catalog.find("exercise1")
    settings = config(tmp_path)
    plain, linked, missing = (student(tmp_path, n) for n in ("ann", "ben", "cat"))
    (linked / EX1).unlink()
    os.symlink(plain / EX1, linked / EX1)
    (missing / EX1).unlink()
    assert copies.key(plain, exercise, settings) is not None
    assert copies.key(linked, exercise, settings) is None, "a link is not the student's own file"
    assert copies.key(missing, exercise, settings) is None  # maybe a notebook: graded each time
