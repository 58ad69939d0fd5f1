"""The references grade to full marks inside Gradescope's default container memory (768 MiB).

The run happens in a memory cgroup of its own, bind-mounted over the memory hierarchy's root in
a private mount namespace, exactly as a container sees its cgroup: the workers' own cgroups are
created inside it, so the grader, the fork server and every worker share the one limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import catalog

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MIB = 768
MEMORY = Path("/sys/fs/cgroup/memory")


def _why_not() -> str:
    """Why a memory cgroup cannot be used here ('' when it can)."""
    if not sys.platform.startswith("linux"):
        return "memory cgroups are Linux only"
    if os.geteuid() != 0:
        return "creating a memory cgroup and a mount namespace needs root"
    if not (MEMORY / "memory.limit_in_bytes").exists():
        return "no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory (v2 is not emulated yet)"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    return ""


def _own_memory_cgroup() -> Path:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return MEMORY / path.lstrip("/")
    return MEMORY


@pytest.fixture
def limited(request) -> Iterator[Path]:
    """A fresh memory cgroup limited to LIMIT_MIB (or the test's parameter), removed with
    whatever runs in it."""
    why = _why_not()
    if why:
        pytest.skip(why)
    try:
        context = _limited_group(getattr(request, "param", LIMIT_MIB))
        group = context.__enter__()
    except OSError as exc:
        pytest.skip(f"cannot create a memory cgroup here: {exc}")
    try:
        yield group
    finally:
        context.__exit__(None, None, None)


@contextlib.contextmanager
def _limited_group(limit_mib: int) -> Iterator[Path]:
    """A fresh memory cgroup limited to `limit_mib`, removed with whatever runs in it."""
    group = _own_memory_cgroup() / f"grade-test-{os.getpid()}-{time.monotonic_ns()}"
    group.mkdir()
    try:
        (group / "memory.limit_in_bytes").write_text(str(limit_mib * 1024**2))
        yield group
    finally:
        for _ in range(50):
            pids = [int(p) for c in group.rglob("cgroup.procs") for p in c.read_text().split()]
            for pid in pids:  # only what the test started: everything in its own group
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for folder in sorted(group.rglob("*/"), key=lambda p: -len(p.parts)):
                if folder.is_dir():
                    try:
                        folder.rmdir()
                    except OSError:
                        pass
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def _run_limited(group: Path, command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run `command` inside `group`, which it sees as the root of the memory hierarchy."""
    inner = f'mount --bind "$0" {MEMORY} && exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, str(group), *command],
        cwd=ROOT,
        env=dict(os.environ, NO_COLOR="1"),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
    )


@dataclass
class ThoroughRun:
    """`grade check all --thorough` on the references: confined to 768 MiB and one CPU where a
    memory cgroup can be made (`confined` says why not otherwise), in a workspace of its own."""

    done: subprocess.CompletedProcess
    results: dict
    workspace: Path
    confined: str  # "" when it ran in the cgroup, else why it could not
    peak_mib: int = 0
    oom_killed: bool = False


@pytest.fixture(scope="module")
def thorough_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThoroughRun]:
    tmp = tmp_path_factory.mktemp("thorough")
    workspace = tmp / "workspace"
    shutil.copytree(ROOT / "solutions", workspace, ignore=shutil.ignore_patterns(".grade"))
    report = tmp / "results.json"
    command = [sys.executable, "-m", "grader", "check", "all", "--thorough", "--device", "cpu"]
    command += ["--workspace", str(workspace), "--json", str(report)]
    if shutil.which("taskset"):  # one CPU, as Gradescope's half of one counts
        command = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *command]
    why = _why_not()
    with contextlib.ExitStack() as stack:
        group = None
        if not why:
            try:
                group = stack.enter_context(_limited_group(LIMIT_MIB))
            except OSError as exc:
                why = f"cannot create a memory cgroup here: {exc}"
        # Gradescope's overall limit is 10 minutes: a run that needs longer fails here.
        if group is None:
            env = dict(os.environ, NO_COLOR="1")
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
            )
        else:
            done = _run_limited(group, command, timeout=600)
        run = ThoroughRun(done, json.loads(report.read_text()), workspace, why)
        if group is not None:
            run.peak_mib = int((group / "memory.max_usage_in_bytes").read_text()) // 1024**2
            run.oom_killed = "oom_kill 0" not in (group / "memory.oom_control").read_text()
        yield run


@pytest.mark.slow
def test_the_references_pass_the_thorough_profile_with_full_marks(thorough_run) -> None:
    done, run = thorough_run.done, thorough_run.results
    assert done.returncode == 0, (done.returncode, thorough_run.peak_mib, done.stderr[-2000:])
    failing = {e["id"]: e["reason"] for e in run["exercises"] if e["status"] != "passed"}
    assert not failing and len(run["exercises"]) == len(catalog.exercises()), failing
    assert run["score"] == run["max_score"]
    assert (thorough_run.workspace / ".grade" / "report.html").is_file()


@pytest.mark.slow
def test_the_thorough_run_fits_768_mib_and_one_cpu(thorough_run) -> None:
    # One torch import, in the fork server, shared by copy-on-write with the checking process
    # it forks (engine/checking_process.py): the command-line process imports none.
    if thorough_run.confined:
        pytest.skip(f"not confined to {LIMIT_MIB} MiB: {thorough_run.confined}")
    assert thorough_run.done.returncode == 0, thorough_run.done.stderr[-2000:]
    assert not thorough_run.oom_killed
    assert thorough_run.peak_mib <= LIMIT_MIB


def test_a_killed_grader_leaves_results_that_name_the_memory_setting(tmp_path) -> None:
    finish = ROOT / "grader" / "instructor" / "ci_templates" / "finish_results.py"
    results = tmp_path / "results.json"
    log = tmp_path / "grade.log"
    log.write_text("Killed\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(finish), str(results), "137", str(log), ""],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["score"] == 0 and data["tests"] == []
    assert "ran out of memory" in data["output"]
    assert "Container Specifications, Memory" in data["output"]


def test_a_container_of_768_mib_is_graded_one_job_at_a_time(limited) -> None:
    code = "from grader.engine import resources; print(resources.memory_limit(), resources.default_jobs())"
    done = _run_limited(limited, [sys.executable, "-c", code], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(LIMIT_MIB * 1024**2), "1"]


def test_jobs_follow_cpus_and_memory(monkeypatch) -> None:
    from grader.engine import resources

    monkeypatch.setattr(resources, "cpus", lambda: 4)
    for limit_mib, jobs in ((None, 4), (768, 1), (1024, 1), (1536, 2), (2048, 3), (64_000, 4)):
        limit = None if limit_mib is None else limit_mib * 1024**2
        monkeypatch.setattr(resources, "memory_limit", lambda limit=limit: limit)
        assert resources.default_jobs() == jobs, limit_mib


def test_half_a_cpu_counts_as_one(monkeypatch) -> None:
    from grader.engine import resources

    monkeypatch.setattr(resources, "_quota", lambda: 0.5)
    assert resources.cpus() == 1
    monkeypatch.setattr(resources, "_quota", lambda: None)
    assert resources.cpus() == len(os.sched_getaffinity(0))


def test_a_job_keeps_one_worker_alive_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """Exercises are graded one after another, a session each: never all their workers at once."""
    from grader import catalog
    from grader.engine import run

    for stem in ("exercise01_squeeze", "exercise02_to_numpy"):
        shutil.copyfile(ROOT / "solutions" / f"{stem}.py", tmp_path / f"{stem}.py")
    batches: list[list[str]] = []
    real = run.grade_batch

    def spy(options, exercises, *args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append([e.id for e in exercises])
        return real(options, exercises, *args, **kwargs)

    monkeypatch.setattr(run, "grade_batch", spy)
    chosen = (catalog.find("exercise1"), catalog.find("exercise2"))
    graded = run.grade(
        run.RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", max_examples=3)
    )
    assert [e.status for e in graded.exercises] == ["passed", "passed"]
    assert batches == [["exercise1"], ["exercise2"]], batches


def _bundle_root(tmp_path: Path) -> Path:
    """A Gradescope layout holding the bundle and a submission of every reference."""
    from test_ci_kit import build_bundle, gradescope_root

    root = gradescope_root(tmp_path, build_bundle(tmp_path))
    for file in (ROOT / "solutions").glob("exercise*.py"):
        shutil.copy(file, root / "submission")
    return root


def test_a_grader_killed_in_the_bundle_leaves_results_naming_the_memory_setting(tmp_path) -> None:
    from test_ci_kit import fake_grade, run_autograder

    root = _bundle_root(tmp_path)
    data = run_autograder(root, path=fake_grade(tmp_path / "bin", "kill -KILL $$"))
    assert data["score"] == 0 and data["tests"] == []
    assert "exit status 137" in data["output"] and "Container Specifications" in data["output"]


@pytest.mark.slow
def test_the_bundle_grades_the_references_within_768_mib(limited, tmp_path) -> None:
    # The bundle runs the same `grade check all` (quick options here: the thorough run's memory
    # and time are shown above, in the same cgroup and on one CPU).
    root = _bundle_root(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_CHECKS", "GRADE_CATALOG")}
    env.update(
        AUTOGRADER_ROOT=str(root),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        GRADE_CHECK_OPTIONS="--device cpu",
    )
    inner = f'mount --bind "$0" {MEMORY} && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, str(limited)]
        + [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=lambda: (limited / "cgroup.procs").write_text(str(os.getpid())),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["tests"] and {t["status"] for t in data["tests"]} == {"passed"}, data["output"]
    assert "oom_kill 0" in (limited / "memory.oom_control").read_text()
