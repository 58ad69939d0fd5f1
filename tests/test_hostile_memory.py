"""The grader's memory stays bounded whatever a worker sends: the inflation attacks.

A few bytes from a worker once cost the grader gigabytes (a subarray NumPy dtype expanded by
`astype`, a 25 MB exception class name copied into every message and results file). Each case
is graded in a fresh interpreter, after grading the reference once, so that its peak resident
memory (VmHWM, reset through /proc/self/clear_refs) is the hostile grading's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
# README ("Limits on every worker"): the grader's peak while grading any submission stays within
# 512 MiB of its own resident memory after grading an honest one.
BOUND = 512 * 1024**2

MEASURE = r"""
import json, shutil, sys, tempfile
from pathlib import Path

from grader import catalog, results
from grader.engine.run import RunOptions, grade
from grader.sandbox.limits import Limits


def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def run(source):
    workspace = Path(tempfile.mkdtemp())
    shutil.copyfile(source, workspace / "exercise01_squeeze.py")
    limits = Limits(call_seconds=5, exercise_seconds=30, memory_bytes=1024**3)
    options = RunOptions(
        workspace=workspace, exercises=(catalog.find("exercise1"),), device="cpu",
        limits=limits, max_examples=10,
    )
    done = grade(options)
    (workspace / "results.json").write_text(results.to_json(done))
    size = (workspace / "results.json").stat().st_size
    shutil.rmtree(workspace)
    return done.exercises[0], size


run(sys.argv[1])  # the reference: imports, fork server, checks, all warm
baseline = status("VmRSS")
try:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS from here on
except OSError:
    pass
verdict, size = run(sys.argv[2])
print(json.dumps({
    "baseline": baseline, "peak": status("VmHWM"), "status": verdict.status,
    "results_bytes": size,
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["subarray_dtype_answer", "huge_exception_name", "large_answer"])
def test_inflation_stays_within_the_memory_bound(name: str) -> None:
    reference = ROOT / "solutions" / "exercise01_squeeze.py"
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(reference), str(HOSTILE / f"{name}.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["status"] == "failed", measured
    grew = measured["peak"] - measured["baseline"]
    assert grew < BOUND, f"grading {name} took {grew / 1024**2:.0f} MiB above the baseline"
    assert measured["results_bytes"] < 1024**2, "a few bytes from a worker bloated the results"
