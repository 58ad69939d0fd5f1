"""Parallel grading gives the same verdicts as grading one exercise after another."""

from __future__ import annotations

import os
from pathlib import Path

from grader import catalog
from grader.jobs import run_in_jobs
from grader.run import RunOptions, grade

ROOT = Path(__file__).resolve().parent.parent


def _summary(run):
    return [
        (e.id, e.status, e.score, [(c.name, c.device, c.status, c.example) for c in e.checks])
        for e in run.exercises
    ]


def test_jobs_match_sequential_grading(tmp_path: Path) -> None:
    for name in ("exercise01_squeeze.py", "exercise02_to_numpy.py", "exercise03_train_step.py"):
        source = ROOT / ("solutions" if name.startswith("exercise01") else "exercises") / name
        (tmp_path / name).write_text(source.read_text())
    broken = (ROOT / "tests" / "submissions" / "exercise1" / "mistake_squeeze_all.py").read_text()
    (tmp_path / "exercise01_squeeze.py").write_text(broken)
    chosen = tuple(catalog.find(i) for i in ("exercise1", "exercise2", "exercise3"))
    one = grade(RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", seed=3, jobs=1))
    two = grade(RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", seed=3, jobs=2))
    assert _summary(one) == _summary(two)
    assert [e.id for e in two.exercises] == ["exercise1", "exercise2", "exercise3"]


def test_a_dying_job_costs_only_its_item() -> None:
    def work(item: str) -> dict:
        if item == "boom":
            raise SystemExit("a grader bug")
        return {"item": item, "pid": os.getpid()}

    finished = []
    done = run_in_jobs(
        ["a", "boom", "b", "c", "d"], work, jobs=1, on_done=lambda i, r: finished.append(i)
    )
    assert sorted(finished) == ["a", "b", "boom", "c", "d"], (
        "a dead job is replaced: nothing is lost"
    )
    assert done["boom"] is None
    assert {k: v["item"] for k, v in done.items() if v} == {"a": "a", "b": "b", "c": "c", "d": "d"}
    assert all(v["pid"] != os.getpid() for v in done.values() if v)
