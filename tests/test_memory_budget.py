"""The references grade to full marks inside Gradescope's default container memory (768 MiB).

The run happens in a memory cgroup of its own, bind-mounted over the memory hierarchy's root in
a private mount namespace, exactly as a container sees its cgroup: the workers' own cgroups are
created inside it, so the grader, the fork server and every worker share the one limit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    limit_mib = getattr(request, "param", LIMIT_MIB)
    group = _own_memory_cgroup() / f"grade-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        group.mkdir()
        (group / "memory.limit_in_bytes").write_text(str(limit_mib * 1024**2))
    except OSError as exc:
        pytest.skip(f"cannot create a memory cgroup here: {exc}")
    try:
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


@pytest.mark.slow
def test_check_all_on_the_references_passes_within_768_mib(limited, tmp_path) -> None:
    # One torch import, in the fork server, shared by copy-on-write with the checking process
    # it forks (engine/checking_process.py): the command-line process imports none.
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "solutions", workspace, ignore=shutil.ignore_patterns(".grade"))
    report = tmp_path / "results.json"
    command = [sys.executable, "-m", "grader", "check", "all", "--workspace", str(workspace)]
    done = _run_limited(limited, [*command, "--json", str(report)], timeout=600)
    peak = int((limited / "memory.max_usage_in_bytes").read_text()) // 1024**2
    killed = "oom_kill 1" in (limited / "memory.oom_control").read_text()
    assert done.returncode == 0, (done.returncode, peak, killed, done.stderr[-2000:])
    run = json.loads(report.read_text())
    assert [e["status"] for e in run["exercises"]] == ["passed"] * len(run["exercises"])
    assert run["score"] == run["max_score"]
    assert (workspace / ".grade" / "report.html").is_file()
    assert peak <= LIMIT_MIB


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


def test_a_small_container_keeps_one_worker_alive_at_a_time(monkeypatch) -> None:
    from grader.engine import resources

    for limit_mib, at_once in ((None, 16), (64_000, 16), (768, 1), (1536, 1)):
        limit = None if limit_mib is None else limit_mib * 1024**2
        monkeypatch.setattr(resources, "memory_limit", lambda limit=limit: limit)
        assert resources.exercises_at_once(16) == at_once, limit_mib


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
@pytest.mark.parametrize("limited", [768, 1536], indirect=True)
def test_the_bundle_grades_the_references_within_768_and_1536_mib(limited, tmp_path) -> None:
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
