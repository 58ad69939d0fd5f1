"""One `grade exercise3`: each learner file read and parsed once, one fork server started once
(with the run's preloads, asked nothing more), the checks run in a process forked from it so
that torch is imported once (none in the command-line process), and workers limited by the
container's memory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog
from grader.engine import resources

ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI in a fresh interpreter with spies on reading, the fork server and the resources.
SCRIPT = """
import collections, json, sys
from grader import source
from grader.engine import resources
from grader.sandbox import zygote

cpus, limit = int(sys.argv[1]), int(sys.argv[2])
resources.cpus = lambda: cpus
resources.memory_limit = lambda: limit or None
reads, starts, asks, memory, gets = collections.Counter(), [], [], [], []
real_read, real_start, real_ask, real_get = (
    source.read, zygote.Zygote._start, zygote.Zygote._ask, zygote.get
)

def read(path, *args, **kwargs):
    reads[str(path)] += 1
    return real_read(path, *args, **kwargs)

def start(self):
    if not self.started:
        starts.append({"preload": sorted(self.preload), "torch": "torch" in sys.modules})
    return real_start(self)

def ask(self, request, fds=None):
    asks.append(request["op"])
    if request["op"] == "spawn":
        memory.append(request["config"]["limits"]["memory_bytes"])
    return real_ask(self, request, fds)

def get(*args):
    gets.append(args)
    return real_get(*args)

source.read, zygote.Zygote._start, zygote.Zygote._ask, zygote.get = read, start, ask, get
from grader.cli import cli
try:
    cli.main(sys.argv[3:], prog_name="grade", standalone_mode=False)
except SystemExit:
    pass
spied = {"reads": reads, "starts": starts, "asks": asks, "memory": memory, "gets": gets}
print(json.dumps(spied | {"torch": "torch" in sys.modules}))
"""


def _grade(cpus: int, limit: int, *args: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(cpus), str(limit), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *output, spied = done.stdout.strip().splitlines()
    return json.loads(spied), "\n".join(output)


@pytest.mark.slow  # a CLI run in a subprocess
@pytest.mark.parametrize("cpus", [2, 1])
def test_one_exercise_reads_each_file_once_and_imports_torch_once(tmp_path: Path, cpus) -> None:
    exercise = catalog.find("exercise3")
    shutil.copy(ROOT / "solutions" / exercise.file, tmp_path / exercise.file)
    spied, output = _grade(cpus, 0, "exercise3", "--workspace", str(tmp_path), "--device", "cpu")
    assert "passed" in output, output[-2000:]
    assert list(spied["reads"].values()) == [1], spied["reads"]
    assert Path(next(iter(spied["reads"]))).name == exercise.file
    assert spied["gets"] == [], "the run owns its server: the shared one is never asked for"
    assert len(spied["starts"]) == 1, spied["starts"]
    assert spied["starts"][0]["preload"] == sorted(catalog.preloads([exercise]))
    # Created with its preloads, it is asked one thing: to fork the checking process (which
    # spawns the worker over its own channel). Torch is imported there, never here.
    assert spied["asks"] == ["trusted"], spied["asks"]
    assert spied["starts"][0]["torch"] is False and spied["torch"] is False


@pytest.mark.slow  # a CLI run in a subprocess
def test_stubs_need_no_server_and_every_file_is_read_once(tmp_path: Path) -> None:
    for exercise in catalog.exercises()[:4]:
        shutil.copy(ROOT / "exercises" / exercise.file, tmp_path / exercise.file)
    ids = [e.id for e in catalog.exercises()[:4]]
    spied, _ = _grade(2, 0, "check", *ids, "--workspace", str(tmp_path))
    assert sorted(Path(p).name for p in spied["reads"]) == sorted(
        e.file for e in catalog.exercises()[:4]
    )
    assert set(spied["reads"].values()) == {1}
    assert spied["starts"] == [] and spied["asks"] == [] and spied["gets"] == []


@pytest.mark.parametrize(
    ("limit_mib", "worker_mib"),
    [(None, 4096), (64_000, 4096), (2048, 2048), (768, 1536), (256, 1536)],
)
def test_a_workers_memory_limit_follows_the_container(monkeypatch, limit_mib, worker_mib) -> None:
    from grader.sandbox.limits import Limits

    limit = None if limit_mib is None else limit_mib * 1024**2
    monkeypatch.setattr(resources, "memory_limit", lambda: limit)
    assert resources.worker_memory(4096 * 1024**2) == worker_mib * 1024**2
    capped = resources.worker_limits(Limits(memory_bytes=4096 * 1024**2, cpu_seconds=7))
    assert capped.memory_bytes == worker_mib * 1024**2 and capped.cpu_seconds == 7
    assert resources.worker_memory(512 * 1024**2) == 512 * 1024**2, "never raised above the ask"


@pytest.mark.slow  # grades exercise 5 (torchvision) in a worker at the floor
def test_a_worker_at_the_memory_floor_still_runs_torch_and_torchvision(tmp_path: Path) -> None:
    from grader.engine.run import RunOptions, grade
    from grader.sandbox.limits import Limits

    exercise = next(e for e in catalog.exercises() if "torchvision" in " ".join(e.preload))
    shutil.copy(ROOT / "solutions" / exercise.file, tmp_path / exercise.file)
    limits = Limits(memory_bytes=resources.WORKER_FLOOR_BYTES)
    run = grade(RunOptions(workspace=tmp_path, exercises=(exercise,), device="cpu", limits=limits))
    assert run.exercises[0].status == "passed", run.exercises[0].reason
