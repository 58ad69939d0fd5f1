"""Exercise 16's stubs are working code with bugs: untouched (in any language) is not started."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import catalog
from grader.course import STUBS_DIR
from grader.engine.run import RunOptions, _precheck, grade

EXERCISE = catalog.find("exercise16")


def test_the_file_as_handed_out_is_not_started_and_says_why(tmp_path: Path) -> None:
    shutil.copy(STUBS_DIR / EXERCISE.file, tmp_path / EXERCISE.file)
    result = grade(RunOptions(workspace=tmp_path, exercises=(EXERCISE,), device="cpu"))
    verdict = result.exercises[0]
    assert verdict.status == "not_started"
    assert "as it was handed out" in verdict.reason
    zh = grade(RunOptions(workspace=tmp_path, exercises=(EXERCISE,), device="cpu", lang="zh"))
    assert "发下来" in zh.exercises[0].reason


def test_the_chinese_stub_is_not_started_either(tmp_path: Path) -> None:
    shutil.copy(STUBS_DIR / "zh" / EXERCISE.file, tmp_path / EXERCISE.file)
    verdict, facts = _precheck(EXERCISE, tmp_path, "en")
    assert verdict is not None and verdict.status == "not_started"
    assert facts.unchanged == set(EXERCISE.api)


def test_one_fixed_function_starts_the_exercise(tmp_path: Path) -> None:
    text = (STUBS_DIR / EXERCISE.file).read_text(encoding="utf-8")
    fixed = text.replace(
        "    out = torch.sigmoid(x)\n    out *= x\n", "    out = x * torch.sigmoid(x)\n"
    )
    assert fixed != text
    (tmp_path / EXERCISE.file).write_text(fixed, encoding="utf-8")
    verdict, facts = _precheck(EXERCISE, tmp_path, "en")
    assert verdict is None, "a learner who changed one function is graded"
    assert facts.unchanged == set(EXERCISE.api) - {"swish"}
