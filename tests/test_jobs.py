"""Parallel grading gives the same verdicts as grading one exercise after another."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import catalog
from grader.engine import jobs
from grader.engine.jobs import run_in_jobs
from grader.engine.run import RunOptions, grade
from grader.instructor import mutation, verify
from grader.sandbox import zygote

ROOT = Path(__file__).resolve().parent.parent


def _summary(run):
    return [
        (e.id, e.status, e.score, [(c.name, c.device, c.status, c.example) for c in e.checks])
        for e in run.exercises
    ]


def test_jobs_match_sequential_grading(tmp_path: Path, monkeypatch) -> None:
    # Two exercises whose checks must run (a stub is decided from its source, without jobs).
    sources = {
        "exercise01_squeeze.py": ROOT
        / "tests"
        / "submissions"
        / "exercise1"
        / "mistake_squeeze_all.py",
        "exercise02_to_numpy.py": ROOT / "solutions" / "exercise02_to_numpy.py",
        "exercise03_train_step.py": ROOT / "exercises" / "exercise03_train_step.py",
    }
    for name, source in sources.items():
        (tmp_path / name).write_text(source.read_text())
    calls: list[tuple[list, int]] = []

    def spy(items: list, work, jobs_count: int, **kwargs):
        calls.append((list(items), jobs_count))
        return run_in_jobs(items, work, jobs_count, **kwargs)

    monkeypatch.setattr(jobs, "run_in_jobs", spy)
    chosen = tuple(catalog.find(i) for i in ("exercise1", "exercise2", "exercise3"))
    one = grade(RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", seed=3, jobs=1))
    assert calls == [], "one job grades in this process"
    two = grade(RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", seed=3, jobs=2))
    assert calls == [(["exercise1", "exercise2"], 2)], "the parallel path was not taken"
    assert _summary(one) == _summary(two)
    assert [(e.id, e.status) for e in two.exercises] == [
        ("exercise1", "failed"),
        ("exercise2", "passed"),
        ("exercise3", "not_started"),
    ]


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


def _whole(exercise) -> tuple:
    """Everything a learner is shown of one exercise, timings aside."""
    return (
        exercise.status,
        exercise.reason,
        exercise.score,
        exercise.hint,
        [
            (c.name, c.device, c.status, c.points, c.message, c.mistake, c.example)
            for c in exercise.checks
        ],
    )


def test_one_exercise_in_shares_gives_the_verdict_of_one_session(
    tmp_path: Path, monkeypatch
) -> None:
    mistake = ROOT / "tests" / "submissions" / "exercise3" / "mistake_no_zero_grad.py"
    (tmp_path / "exercise03_train_step.py").write_text(mistake.read_text())
    calls: list[tuple[list, int]] = []

    def spy(items: list, work, jobs_count: int, **kwargs):
        calls.append((list(items), jobs_count))
        return run_in_jobs(items, work, jobs_count, **kwargs)

    monkeypatch.setattr(jobs, "run_in_jobs", spy)
    chosen = (catalog.find("exercise3"),)
    one = grade(RunOptions(workspace=tmp_path, exercises=chosen, seed=3, max_examples=5, jobs=1))
    assert calls == []
    two = grade(RunOptions(workspace=tmp_path, exercises=chosen, seed=3, max_examples=5, jobs=2))
    assert calls == [(["0", "1"], 2)], "the exercise's checks were not dealt into two shares"
    assert _whole(one.exercises[0]) == _whole(two.exercises[0])
    assert one.exercises[0].status == "failed"
    assert [c.name for c in two.exercises[0].checks if c.device == "cpu"] == [
        spec.id for spec in chosen[0].checks
    ], "every check once, in the catalog's order"


def test_a_file_that_cannot_be_imported_is_one_verdict_in_shares(tmp_path: Path) -> None:
    (tmp_path / "exercise03_train_step.py").write_text("import torch\nraise ValueError('oops')\n")
    run = grade(
        RunOptions(workspace=tmp_path, exercises=(catalog.find("exercise3"),), device="cpu", jobs=2)
    )
    verdict = run.exercises[0]
    assert verdict.status == "error"
    assert verdict.reason.startswith("import: ValueError: oops"), verdict.reason
    assert verdict.checks == []


def test_every_check_runs_in_exactly_one_share() -> None:
    from grader.engine.plugin import Share

    ids = ["a", "b", "c", "d", "e"]
    shares = [Share(frozenset(ids[n::2]), frozenset(ids), extras=n == 0) for n in range(2)]
    for check_id in [*ids, "a_test_the_catalog_does_not_list"]:
        assert sum(share.runs(check_id) for share in shares) == 1, check_id


def test_a_share_whose_job_dies_leaves_no_worker_behind(tmp_path: Path, monkeypatch) -> None:
    """Shares' workers are launched before the jobs are forked: a job that dies cannot end its
    own, so the process that launched it does."""
    from grader.engine import run
    from grader.sandbox import zygote

    (tmp_path / "exercise03_train_step.py").write_text(
        (ROOT / "solutions" / "exercise03_train_step.py").read_text()
    )
    spawned: list[int] = []
    real_spawn, real_batch = zygote.Zygote.spawn, run.grade_batch

    def spawn(self, config: dict):
        pid, channel = real_spawn(self, config)
        spawned.append(pid)
        return pid, channel

    def batch(*args, **kwargs):
        share = kwargs.get("share") or (args[5] if len(args) > 5 else None)
        if share is not None and not share.extras:
            os._exit(1)  # the second share's job dies before it starts its checks
        return real_batch(*args, **kwargs)

    monkeypatch.setattr(zygote.Zygote, "spawn", spawn)
    monkeypatch.setattr(run, "grade_batch", batch)
    options = RunOptions(
        workspace=tmp_path, exercises=(catalog.find("exercise3"),), device="cpu", jobs=2
    )
    verdict = grade(options).exercises[0]
    assert verdict.status == "error" and verdict.checks == [], verdict.reason
    assert len(spawned) == 2, "one worker per share, launched by this process"
    for pid in spawned:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"worker {pid} of a share is still running")


@pytest.mark.parametrize(
    "grade_all",
    [
        lambda work, preloads: verify._run_all(["a", "b"], work, 2, preloads),
        lambda work, preloads: mutation._grade_all(["a", "b"], work, 2, None, preloads),
    ],
    ids=["verify", "mutants"],
)
def test_instructor_jobs_share_the_process_fork_server(grade_all, monkeypatch) -> None:
    """Each job would otherwise start a fork server of its own and import torch again."""
    handed = []

    def spy(items, work, count, on_done=None, server=None):  # type: ignore[no-untyped-def]
        handed.append(server)
        return dict.fromkeys(items)

    monkeypatch.setattr(jobs, "run_in_jobs", spy)
    grade_all(lambda item: {}, ("sympy",))
    assert handed == [zygote.get()]
    assert "sympy" in handed[0].preload
