"""The checks of a `grade check` run in a process forked from the fork server (one torch import,
shared by copy-on-write). It is trusted like the grader and as far out of learner code's reach:
workers are forked from the server, never from it, and it outlives the sweeps after each one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.engine.run import RunOptions, grade
from grader.sandbox import isolation
from grader.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ROOT / "tests" / "attacks"
LIMITS = Limits(call_seconds=5, exercise_seconds=20, memory_bytes=1024**3)


def _remote(workspace: Path, *ids: str, **changes: object):
    options = {
        "workspace": workspace,
        "exercises": tuple(catalog.find(i) for i in ids),
        "device": "cpu",
        "limits": LIMITS,
        "max_examples": 5,
        "checking_process": True,
    } | changes
    return grade(RunOptions(**options))  # type: ignore[arg-type]


def test_references_pass_in_the_checking_process_across_sweeps(tmp_path: Path) -> None:
    chosen = [catalog.find(i) for i in ("exercise1", "exercise2")]
    for exercise in chosen:
        shutil.copy(ROOT / "solutions" / exercise.file, tmp_path / exercise.file)
    # One exercise at a time: the worker of the first is closed (and the server swept for its
    # orphans) while the checking process goes on to the second.
    run = _remote(tmp_path, "exercise1", "exercise2")
    assert [(e.id, e.status) for e in run.exercises] == [
        ("exercise1", "passed"),
        ("exercise2", "passed"),
    ], [e.reason for e in run.exercises]


def test_learner_code_sees_no_grader_secret_from_the_checking_process(tmp_path: Path) -> None:
    text = (ATTACKS / "read_grader_cmdline.py").read_text().replace("{PROJECT}", str(ROOT))
    tmp_path.joinpath("exercise01_squeeze.py").write_text(text)
    result = _remote(tmp_path, "exercise1").exercises[0]
    assert result.status == "passed", result.reason
    assert os.environ["GRADER_TEST_SECRET"] not in result.output
    if isolation.available()[0]:
        seen = int(result.output.split("PROCESSES-SEEN:")[1].split()[0])
        assert seen <= 3, result.output  # its own PID namespace: no checking process in it


def test_the_reference_stays_out_of_reach_from_the_checking_processs_workers(
    tmp_path: Path,
) -> None:
    if not isolation.available()[0]:
        pytest.skip("unisolated, learner code can read what its user can (the run says so)")
    text = (ATTACKS / "read_git_history.py").read_text().replace("{PROJECT}", str(ROOT))
    tmp_path.joinpath("exercise01_squeeze.py").write_text(text)
    result = _remote(tmp_path, "exercise1").exercises[0]
    assert result.status == "failed" and result.score == 0, result.reason
    assert "no reference solution could be read" in result.checks[0].message
