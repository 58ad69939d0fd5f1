"""Whatever a worker sends is read as bounded plain data, and a grader fault has its own status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.cli import common as cli
from grader.results import CheckResult, ExerciseResult, RunResult
from grader.sandbox import codec, worker, zygote
from grader.sandbox.proxy import ImportFailed, LearnerRaised, Opaque, explain_status, lift
from grader.sandbox.worker import INTERNAL_FAILURE

ROOT = Path(__file__).resolve().parent.parent


def test_a_numpy_answer_is_rebuilt_only_for_plain_dtypes() -> None:
    for dtype in ("(5000,5000)f8", "[('a', 'f8')]", "object", "U10", 7):
        back = lift({"__ndarray__": torch.zeros(4), "dtype": dtype})
        assert type(back) is Opaque, dtype
    back = lift({"__ndarray__": torch.zeros(4, dtype=torch.float64), "dtype": "float32"})
    assert type(back) is Opaque, "a dtype that does not match the data is not believed"
    back = lift({"__ndarray__": torch.arange(3, dtype=torch.int16), "dtype": "int16"})
    assert type(back) is np.ndarray and back.dtype == np.int16 and back.tolist() == [0, 1, 2]


def test_an_exception_from_the_worker_is_bounded_and_typed() -> None:
    forged = {
        "type": "E" * 25_000_000,
        "bases": 5,
        "message": {"a": 1},
        "line": [1],
        "traceback": "t" * 100_000,
    }
    error = LearnerRaised(forged)
    assert len(error.type_name) <= codec.MAX_NAME
    assert error.bases == [] and error.line is None
    assert error.message == "{'a': 1}" and len(error.traceback) <= 4000
    assert len(ImportFailed(forged).info["type"]) <= codec.MAX_NAME
    assert ImportFailed("not a dict").info["message"] == "not a dict"
    assert len(Opaque("T" * 10**6, "x" * 10**6).type_name) <= codec.MAX_NAME


def test_the_worker_describes_exceptions_with_bounded_strings() -> None:
    huge = type("E" * 1_000_000, (ValueError,), {"__module__": "builtins"})
    described = worker.describe_exception(huge("m" * 10**6), "learner.py")
    assert len(described["type"]) <= codec.MAX_NAME
    assert all(len(b) <= codec.MAX_NAME for b in described["bases"])
    assert "ValueError" in described["bases"] and len(described["message"]) <= 2000
    assert len(codec.encode(described)) < 10_000


def run_with(exercise_status: str, reason: str = "", check_message: str = "") -> RunResult:
    checks = [CheckResult(name="c", device="cpu", status="error", message=check_message)]
    exercise = ExerciseResult(
        id="exercise1",
        title="t",
        status=exercise_status,
        reason=reason,
        checks=checks if check_message else [],
    )
    return RunResult(exercises=[exercise])


def test_exit_status_tells_a_grader_fault_from_a_failure() -> None:
    assert cli.exit_status(run_with("passed")) == cli.EXIT_OK
    assert cli.exit_status(run_with("failed")) == cli.EXIT_FAILED
    learner_fault = run_with("error", "protocol: the worker's answer could not be read")
    assert cli.exit_status(learner_fault) == cli.EXIT_FAILED
    assert cli.exit_status(run_with("error", "internal: the process died")) == cli.EXIT_INTERNAL
    check_bug = run_with("error", "x", "internal: the check itself failed (KeyError: 'a')")
    assert cli.exit_status(check_bug) == cli.EXIT_INTERNAL
    assert cli.EXIT_INTERNAL not in (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_USAGE)


def test_an_exception_in_the_grader_exits_3_and_says_it_is_the_graders(tmp_path: Path) -> None:
    (tmp_path / "exercise01_squeeze.py").write_text("def add_batch_dim(x):\n    return x\n")
    program = (
        "import grader.engine.run\n"
        "def broken(options):\n"
        "    raise RuntimeError('a bug in the grader')\n"
        "grader.engine.run.grade = broken\n"
        "from grader.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "--lang", "en", "check", "exercise1"]
        + ["--workspace", str(tmp_path), "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == cli.EXIT_INTERNAL, done.stderr
    assert "RuntimeError: a bug in the grader" in done.stderr
    assert "internal error" in done.stderr and "not your code" in done.stderr


def test_status_86_is_the_graders_only_before_learner_code_ran() -> None:
    status = INTERNAL_FAILURE << 8  # a raw wait status: exited with INTERNAL_FAILURE
    assert explain_status(status)[0] == "internal"
    reason, detail = explain_status(status, learner_ran=True)
    assert reason == "exit" and "86" in detail


@pytest.mark.slow
def test_garbage_from_one_worker_is_an_error_and_the_rest_are_graded_and_reported(
    tmp_path: Path,
) -> None:
    workspace, out = tmp_path / "ws", tmp_path / "out"
    workspace.mkdir()
    out.mkdir()
    hostile = ROOT / "tests" / "hostile" / "garbage_frame_at_import.py"
    shutil.copyfile(hostile, workspace / "exercise01_squeeze.py")
    shutil.copyfile(
        ROOT / "solutions" / "exercise02_to_numpy.py", workspace / "exercise02_to_numpy.py"
    )
    done = subprocess.run(
        [sys.executable, "-m", "grader", "--lang", "en", "check", "exercise1", "exercise2"]
        + ["--workspace", str(workspace), "--device", "cpu", "--max-examples", "3"]
        + ["--json", str(out / "run.json"), "--junit", str(out / "junit.xml")],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == cli.EXIT_FAILED, done.stdout + done.stderr
    verdicts = {e["id"]: e for e in json.loads((out / "run.json").read_text())["exercises"]}
    assert verdicts["exercise1"]["status"] == "error"
    assert verdicts["exercise1"]["reason"].startswith("protocol:")
    assert verdicts["exercise2"]["status"] == "passed"
    assert (out / "junit.xml").is_file() and (workspace / ".grade" / "report.html").is_file()


@pytest.mark.slow
def test_a_class_with_a_hostile_student_grades_everyone_and_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Processes left behind are checked per run by test_sandbox (garbage_frame_at_import);
    # on a shared machine a class run's own cannot be told apart from others' by /proc.
    from grader import catalog
    from grader.classroom.grading import ClassOptions, grade_class
    from grader.sandbox.limits import Limits

    submissions = tmp_path / "class"
    for student, source in (
        ("mallory", ROOT / "tests" / "hostile" / "garbage_frame_at_import.py"),
        ("trent", ROOT / "solutions" / "exercise01_squeeze.py"),
    ):
        (submissions / student).mkdir(parents=True)
        shutil.copyfile(source, submissions / student / "exercise01_squeeze.py")
    options = ClassOptions(
        submissions=submissions,
        out=tmp_path / "out",
        exercises=(catalog.find("exercise1"),),
        device="cpu",
        max_examples=3,
        limits=Limits(call_seconds=10.0, exercise_seconds=60.0),
        jobs=1,
        server=zygote.get(catalog.preloads()),  # the session's: no torch import per class
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = grade_class(options)
    assert result.complete, [s.error for s in result.students]
    mallory, trent = result.students
    assert mallory.run.exercises[0].status == "error"
    assert mallory.run.exercises[0].reason.startswith("protocol:")
    assert trent.run.exercises[0].status == "passed"
    assert (tmp_path / "out" / "gradebook.csv").is_file()
    assert list(scratch.iterdir()) == [], "a worker's folder outlived the class run"
