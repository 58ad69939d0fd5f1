"""Hostile submissions get their expected verdict, and nothing of them outlives the run.

Each `tests/hostile/*.py` is graded as a learner's exercise 1. Its first line is
`# expect: STATUS [reason=PREFIX]`; an optional second line `# says: TEXT` names text that the
verdict must show (in the reason, or a failing check's message); an optional
`# exercise: ID` line among the first lines grades it as that exercise instead.
After each, no process of the worker runs, and its temporary folder and cgroups are gone.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from waiting import settled

from grader import catalog, progress, results
from grader.engine.run import RunOptions, grade
from grader.sandbox import isolation, zygote
from grader.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
EXPECT = re.compile(r"^# expect: (\w+)(?: reason=(\w+))?\s*$")
SAYS = re.compile(r"^# says: (.+)$")
EXERCISE = re.compile(r"^# exercise: (\w+)\s*$")
ISOLATED = isolation.available()[0]
SECRET = os.environ["GRADER_TEST_SECRET"]
NEEDS_ISOLATION = {
    "disk_filler": "without root isolation the worker has no size-limited private /tmp",
    "cheat_import_solutions": "without root isolation the reference solutions are readable",
}


def strays() -> list[int]:
    """Processes a worker left: children of the fork server, or processes of a worker uid."""
    server = zygote.get().pid
    issued = set(isolation.ISSUED_UIDS)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            uid = os.stat(f"/proc/{entry}").st_uid
        except OSError:
            continue
        if int(stat[1]) == server or uid in issued:
            found.append(int(entry))
    return found


def problems(result: results.ExerciseResult) -> str:
    return "\n".join(c.message for c in result.checks if c.status in ("failed", "error"))


def stray_cgroups() -> list[str]:
    """Control groups this process made for its workers that are still there."""
    prefix = f"grader-{os.getpid()}-"
    found = []
    for root in (isolation.CGROUP_ROOT, *isolation.CGROUP_ROOT.glob("*")):
        try:
            found += [str(p) for p in root.iterdir() if p.name.startswith(prefix)]
        except OSError:
            continue
    return found


def exercise_of(lines: list[str]) -> catalog.Exercise:
    for line in lines[:5]:
        if found := EXERCISE.match(line):
            return catalog.find(found.group(1))
    return catalog.find("exercise1")


# Files that cost their time limit, waited out in full: in the slow set.
WAITS_OUT_A_LIMIT = {"loop_in_call"}
# Files whose import is legitimately slow: 64 forks of a process that holds torch take
# over 3 s when the machine is busy (seen in CI), so they get a longer limit per call.
SLOW_IMPORT = {"fork_many"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.slow) if p.stem in WAITS_OUT_A_LIMIT else p
        for p in sorted(HOSTILE.glob("*.py"))
    ],
    ids=lambda p: p.stem,
)
def test_hostile_submission(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if path.stem in NEEDS_ISOLATION and not ISOLATED:
        pytest.skip(NEEDS_ISOLATION[path.stem])
    lines = path.read_text().splitlines()
    status, reason = EXPECT.match(lines[0]).groups()
    says = SAYS.match(lines[1]).group(1) if SAYS.match(lines[1]) else None
    exercise = exercise_of(lines)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    proof_dir = ROOT / f".proof-{os.getpid()}-{path.stem}"
    proof_dir.mkdir(mode=0o1777)
    proof_dir.chmod(0o1777)
    proof = proof_dir / "proof.txt"
    text = path.read_text().replace("{WORKSPACE}", str(workspace)).replace("{PROOF}", str(proof))
    (workspace / exercise.file).write_text(text.replace("{PROJECT}", str(ROOT)))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    try:
        slow = path.stem in SLOW_IMPORT
        limits = Limits(
            call_seconds=15 if slow else 3,
            exercise_seconds=30 if slow else 10,
            memory_bytes=1024**3,
        )
        run = grade(
            RunOptions(
                workspace=workspace,
                exercises=(exercise,),
                device="cpu",
                limits=limits,
                max_examples=10,
            )
        )
        progress.remember(workspace, run)
        finished = time.time()
        result = run.exercises[0]
        shown = f"{result.reason}\n{problems(result)}"
        assert result.status == status, (
            result.reason,
            [(c.name, c.status, c.message) for c in result.checks],
        )
        if reason:
            assert result.reason.startswith(reason), result.reason
        if says:
            assert says in shown, shown
        dumped = results.to_json(run)
        assert SECRET not in dumped, "a secret from the grader's environment reached the results"
        assert settled(strays) == [], "processes of the worker outlived the run"
        assert list(scratch.iterdir()) == [], "the worker's folder was left behind"
        assert stray_cgroups() == [], "the worker's cgroups were left behind"
        stored = json.loads((workspace / ".grade" / "last-run.json").read_text())
        assert stored["exercises"][0]["status"] == status, "the results file was rewritten"
        if proof.exists():
            assert float(proof.read_text() or 0) < finished, "a daemon kept writing after the run"
    finally:
        for leftover in proof_dir.glob("*"):
            leftover.unlink()
        proof_dir.rmdir()


def test_same_seed_gives_same_verdict_and_example(workspace) -> None:
    source = ROOT / "tests" / "submissions" / "exercise1" / "mistake_squeeze_all.py"
    folder = workspace("exercise01_squeeze.py", source)
    runs = [
        grade(
            RunOptions(
                workspace=folder, exercises=(catalog.find("exercise1"),), device="cpu", seed=7
            )
        )
        for _ in range(2)
    ]
    first, second = (
        [(c.name, c.status, c.message, c.example) for c in r.exercises[0].checks] for r in runs
    )
    assert first == second
    assert any(c[3] for c in first), "a failing check shows its example"


def test_isolation_is_reported_when_unavailable() -> None:
    ok, why = isolation.available()
    run = grade(
        RunOptions(
            workspace=ROOT / "exercises", exercises=(catalog.find("exercise1"),), device="cpu"
        )
    )
    assert run.notes == ([] if ok else [why])
