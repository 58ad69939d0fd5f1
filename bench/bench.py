"""Benchmark: the grader's response times as ratios over the torch import floors of this machine.

Run: `.venv/bin/python bench/bench.py [--repeat N]`. Prints medians of repeated runs and their
ratio to the time Python needs just to import torch (and torch + torchvision), measured in the
same run, so the numbers compare across machines. This is a script, never a timed test.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRADE = [PYTHON, "-m", "grader"]
ENV = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")


def timed(command: list[str], cwd: Path = ROOT) -> float:
    """Wall-clock seconds of one run of `command` (its exit status is not judged here)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(repeat: int, command: list[str], cwd: Path = ROOT) -> float:
    timed(command, cwd)  # warm the file cache
    return statistics.median(timed(command, cwd) for _ in range(repeat))


def watch_latency(repeat: int) -> float:
    """Median seconds from saving a file to the end of `grade watch`'s verdict on it."""
    workspace = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    corpus = ROOT / "tests" / "submissions" / "exercise1"
    versions = [corpus / "mistake_clone.py", corpus / "mistake_squeeze_all.py"]
    target = workspace / "exercise01_squeeze.py"
    shutil.copy(versions[0], target)
    process = subprocess.Popen(
        [*GRADE, "watch", "exercise1", "--workspace", str(workspace), "--device", "cpu"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in iter(process.stdout.readline, "")], daemon=True
    ).start()

    def until(text: str) -> None:
        while text not in lines.get(timeout=120):
            pass

    samples = []
    try:
        until("Watching")
        for n in range(repeat + 1):
            time.sleep(0.3)
            start = time.perf_counter()
            shutil.copy(versions[(n + 1) % 2], target)
            until("exercises passed")
            if n:  # the first re-grade warms caches
                samples.append(time.perf_counter() - start)
            until("Watching")
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workspace, ignore_errors=True)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    n = args.repeat
    floor = median_of(n, [PYTHON, "-c", "import torch"])
    floor_tv = median_of(n, [PYTHON, "-c", "import torch, torchvision"])
    first = median_of(
        n, [*GRADE, "exercise1", "--workspace", str(ROOT / "solutions"), "--device", "cpu"]
    )
    one = median_of(
        n, [*GRADE, "exercise3", "--workspace", str(ROOT / "solutions"), "--device", "cpu"]
    )
    every = median_of(
        max(1, n // 2),
        [*GRADE, "check", "all", "--workspace", str(ROOT / "solutions"), "--device", "cpu"],
    )
    watch = watch_latency(n)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, median of {n} runs")
    print(f"floor   import torch                 {floor:6.2f} s")
    print(f"floor   import torch, torchvision    {floor_tv:6.2f} s")
    print(
        f"grade exercise1 (reference)          {first:6.2f} s  = {first / floor:4.2f} x torch floor"
    )
    print(
        f"grade exercise3 (reference)          {one:6.2f} s  = {one / floor:4.2f} x torch floor        (target <= 1.5)"
    )
    print(
        f"grade check all (references)         {every:6.2f} s  = {every / floor_tv:4.2f} x torch+tv floor     (target <= 4)"
    )
    print(
        f"grade watch re-grade after a save    {watch:6.2f} s  = {watch / floor:4.2f} x torch floor        (target < 1 s)"
    )


if __name__ == "__main__":
    main()
