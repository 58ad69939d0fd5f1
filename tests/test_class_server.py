"""`grade class` keeps one warm fork server, with every preload the class needs, for all its
students: the jobs reach it over channels of their own and never start another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.classroom.grading import grade_class
from grader.classroom.model import ClassOptions
from grader.sandbox import zygote
from grader.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # grades exercise 5 (torchvision) for three students
def test_a_class_starts_one_server_with_its_preloads_for_every_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exercise = next(e for e in catalog.exercises() if "torchvision" in " ".join(e.preload))
    submissions = tmp_path / "class"
    for student in ("ada", "bo", "cy"):
        (submissions / student).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / exercise.file, submissions / student / exercise.file)
    started: list[frozenset[str]] = []
    real_start = zygote.Zygote._start

    def start(self: zygote.Zygote) -> None:
        if not self.started:
            started.append(self.preload)
        real_start(self)

    monkeypatch.setattr(zygote.Zygote, "_start", start)
    monkeypatch.setattr(zygote, "get", lambda *a: pytest.fail("the class owns its server"))
    options = ClassOptions(
        submissions=submissions,
        out=tmp_path / "out",
        exercises=(exercise,),
        device="cpu",
        max_examples=5,
        limits=Limits(call_seconds=30, exercise_seconds=120),
        jobs=2,
    )
    result = grade_class(options)
    assert [s.error for s in result.students] == ["", "", ""]
    assert [s.run.exercises[0].status for s in result.students] == ["passed"] * 3
    assert started == [frozenset(catalog.preloads([exercise]))], "one server, started once"
