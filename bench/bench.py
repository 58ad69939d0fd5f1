"""Benchmark: the grader's times and memory as ratios to the torch import floors of this machine.

Run: `.venv/bin/python bench/bench.py [--repeat N] [--only SECTION ...] [--json PATH]`.
Prints medians of repeated runs and their ratio to the time Python needs just to import torch
(and torch + torchvision), measured in the same run, so the numbers compare across machines;
class grading as students per minute; and the peak physical memory of every process of a run
(the grader, the fork server and its workers), summed as PSS (shared pages split between the
processes sharing them: what the machine really holds) and as RSS (what a cgroup or `top`
would add up, counting shared pages once per process). This is a script, never a timed test:
timings on a shared machine say nothing about correctness.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRADE = [PYTHON, "-m", "grader"]
ENV = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
SOLUTIONS = ROOT / "solutions"
CPU = ["--device", "cpu"]
SECTIONS = ("exercise", "check", "watch", "class", "quiz", "memory", "thorough", "onecore")
MIB = 1024 * 1024


@dataclass
class Peak:
    """Peak summed memory of a process tree while it ran, in MiB, and how long it ran."""

    seconds: float = 0.0
    pss: float = 0.0
    rss: float = 0.0
    processes: int = 0


TARGETS = {
    "grade exercise3 (reference)": "(target <= 1.2)",
    "grade exercise5 (reference)": "(target <= 1.2)",
    "grade exercise3 on one core": "(target <= 1.3)",
}


def timed(command: list[str], cwd: Path = ROOT) -> float:
    """Wall-clock seconds of one run of `command` (its exit status is not judged here)."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_of(repeat: int, command: list[str], cwd: Path = ROOT) -> float:
    """Median wall-clock seconds of `repeat` runs, after one that warms the file cache."""
    timed(command, cwd)
    return statistics.median(timed(command, cwd) for _ in range(repeat))


def paired(repeat: int, floor: list[str], command: list[str]) -> tuple[float, float]:
    """Medians of `floor` and `command` run alternately, `repeat` times each, after one warm-up.

    A shared machine's speed drifts by tens of percent within minutes: a floor measured
    before a command would compare two different machines. Alternated, both see the same.
    """
    timed(floor)
    timed(command)
    floors, runs = [], []
    for _ in range(repeat):
        floors.append(timed(floor))
        runs.append(timed(command))
    return statistics.median(floors), statistics.median(runs)


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (one pass)."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(parent, []).append(int(entry))
    return tree


def tree_memory(root: int) -> tuple[float, float, int]:
    """(summed PSS MiB, summed RSS MiB, processes) of `root` and all its descendants now."""
    tree, todo, pss, rss, count = _children(), [root], 0, 0, 0
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        count += 1
        for line in text.splitlines():
            if line.startswith(b"Pss:"):
                pss += int(line.split()[1])
            elif line.startswith(b"Rss:"):
                rss += int(line.split()[1])
    return pss / 1024, rss / 1024, count


def peak_of(command: list[str], cwd: Path = ROOT, every: float = 0.05) -> Peak:
    """Run `command` once, sampling its whole process tree's memory; the peaks and its time."""
    peak = Peak()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while process.poll() is None:
        pss, rss, count = tree_memory(process.pid)
        peak.pss, peak.rss = max(peak.pss, pss), max(peak.rss, rss)
        peak.processes = max(peak.processes, count)
        time.sleep(every)
    peak.seconds = time.perf_counter() - start
    return peak


def watch_latency(repeat: int) -> float:
    """Median seconds from saving a file to the end of `grade watch`'s verdict on it."""
    workspace = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    corpus = ROOT / "tests" / "submissions" / "exercise1"
    versions = [corpus / "mistake_clone.py", corpus / "mistake_squeeze_all.py"]
    target = workspace / "exercise01_squeeze.py"
    shutil.copy(versions[0], target)
    process = subprocess.Popen(
        [*GRADE, "watch", "exercise1", "--workspace", str(workspace), *CPU],
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
        while text not in lines.get(timeout=300):
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


def make_class(size: int, folder: Path, distinct: bool = False) -> Path:
    """A submissions folder of `size` students, each handing in a copy of the references.

    `distinct`: each student's files end in a comment of their own, so no two files are the
    same bytes and every file is graded (identical files are graded once per job).
    """
    submissions = folder / f"class-{size}{'-distinct' if distinct else ''}"
    if submissions.is_dir():
        return submissions
    for n in range(size):
        student = submissions / f"student{n:03d}"
        student.mkdir(parents=True)
        for file in SOLUTIONS.glob("exercise*.py"):
            mine = f"\n# handed in by student {n:03d}\n" if distinct else ""
            (student / file.name).write_text(file.read_text() + mine)
    return submissions


def class_run(size: int, jobs: int, folder: Path, distinct: bool = False) -> Peak:
    """One `grade class` of `size` reference copies on `jobs` jobs, into a fresh OUT."""
    submissions = make_class(size, folder, distinct)
    out = folder / f"out-{submissions.name}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    command = [*GRADE, "class", str(submissions), "--out", str(out), "--jobs", str(jobs), *CPU]
    return peak_of(command, every=0.2)


def static_answers(folder: Path) -> Path:
    """A filled-in answers file for a topic whose keys are all stated in the bank."""
    template = folder / "quiz-static.toml"
    subprocess.run(
        [*GRADE, "quiz", "checkpoints", "--template", str(template), "--workspace", str(folder)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="measure only these sections"
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument(
        "--class-sizes", default="10,30", help="students in the classes graded (comma-separated)"
    )
    parser.add_argument(
        "--class-jobs", default="1,2", help="--jobs of each class run (comma-separated)"
    )
    parser.add_argument(
        "--distinct-sizes",
        default="10",
        help="students in classes whose files all differ, graded on the most --class-jobs",
    )
    args = parser.parse_args()
    sections = set(args.only or SECTIONS)
    n = args.repeat
    figures: dict[str, object] = {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}",
        "python": sys.version.split()[0],
        "load_before": os.getloadavg()[0],
        "repeat": n,
    }
    lines: list[str] = []

    def say(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    def ratio(name: str, seconds: float, floor: float, floor_name: str, target: str = "") -> None:
        figures[name] = {"seconds": round(seconds, 3), "ratio": round(seconds / floor, 3)}
        say(f"{name:<40} {seconds:6.2f} s = {seconds / floor:4.2f} x {floor_name}  {target}")

    def against(name: str, floor_command: list[str], command: list[str], floor_name: str) -> None:
        """`command` as a ratio to its floor run alternately with it (`paired`)."""
        floor, seconds = paired(n, floor_command, command)
        figures[name] = {
            "seconds": round(seconds, 3),
            "floor": round(floor, 3),
            "ratio": round(seconds / floor, 3),
        }
        say(
            f"{name:<40} {seconds:6.2f} s = {seconds / floor:4.2f} x {floor_name} "
            f"(alternated with it: {floor:.2f} s)  {TARGETS.get(name, '')}"
        )

    floor = median_of(n, [PYTHON, "-c", "import torch"])
    floor_tv = median_of(n, [PYTHON, "-c", "import torch, torchvision"])
    figures["floor_torch"], figures["floor_torch_torchvision"] = floor, floor_tv
    say(f"machine: {figures['machine']}, Python {figures['python']}, median of {n} runs")
    say(f"load average before the run: {figures['load_before']:.2f}")
    say(f"{'floor: import torch':<40} {floor:6.2f} s")
    say(f"{'floor: import torch, torchvision':<40} {floor_tv:6.2f} s")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        if "exercise" in sections:
            for number, base, name in (
                (1, [PYTHON, "-c", "import torch"], "torch"),
                (3, [PYTHON, "-c", "import torch"], "torch"),
                (5, [PYTHON, "-c", "import torch, torchvision"], "torch+tv"),
            ):
                command = [*GRADE, f"exercise{number}", "--workspace", str(SOLUTIONS), *CPU]
                against(f"grade exercise{number} (reference)", base, command, name)
        if "onecore" in sections and shutil.which("taskset"):
            one = ["taskset", "-c", "0"]
            command = [*one, *GRADE, "exercise3", "--workspace", str(SOLUTIONS), *CPU]
            against(
                "grade exercise3 on one core",
                [*one, PYTHON, "-c", "import torch"],
                command,
                "1-core floor",
            )
        if "check" in sections:
            command = [*GRADE, "check", "all", "--workspace", str(SOLUTIONS), *CPU]
            ratio(
                "grade check all (references)",
                median_of(max(1, n // 2), command),
                floor_tv,
                "torch+tv",
            )
        if "watch" in sections:
            ratio(
                "grade watch re-grade after a save",
                watch_latency(n),
                floor,
                "torch",
                "(target < 1 s)",
            )
        if "quiz" in sections:
            answers = static_answers(work)
            command = [*GRADE, "quiz", "--answers", str(answers), "--workspace", str(work)]
            ratio(
                "grade quiz --answers (static keys)",
                median_of(n, command),
                floor,
                "torch",
                "(target < 0.5 s)",
            )
        runs = []
        if "memory" in sections:
            runs += [
                ("exercise3", [*GRADE, "exercise3", "--workspace", str(SOLUTIONS), *CPU]),
                ("check all", [*GRADE, "check", "all", "--workspace", str(SOLUTIONS), *CPU]),
            ]
        if "thorough" in sections:
            thorough = [*GRADE, "check", "all", "--thorough", "--workspace", str(SOLUTIONS), *CPU]
            runs.append(("check all --thorough", thorough))
        for name, command in runs:
            peak = peak_of(command)
            figures[f"memory {name}"] = vars(peak)
            say(
                f"{'peak memory: ' + name:<40} PSS {peak.pss:5.0f} MiB, RSS {peak.rss:5.0f} MiB"
                f" ({peak.processes} processes, {peak.seconds:.1f} s)  (target: PSS < 700)"
            )
        if "class" in sections:
            for size in (int(v) for v in args.class_sizes.split(",")):
                for jobs in (int(v) for v in args.class_jobs.split(",")):
                    peak = class_run(size, jobs, work)
                    per_minute = size / peak.seconds * 60
                    figures[f"class {size} jobs {jobs}"] = vars(peak) | {"per_minute": per_minute}
                    say(
                        f"{f'grade class, {size} students, --jobs {jobs}':<40} {peak.seconds:6.1f} s"
                        f" = {per_minute:5.1f} students/min, peak PSS {peak.pss:5.0f} MiB,"
                        f" RSS {peak.rss:5.0f} MiB" + ("  (target >= 40/min)" if jobs == 2 else "")
                    )
            jobs = max(int(v) for v in args.class_jobs.split(","))
            for size in (int(v) for v in args.distinct_sizes.split(",") if v):
                peak = class_run(size, jobs, work, distinct=True)
                per_minute = size / peak.seconds * 60
                figures[f"class {size} distinct jobs {jobs}"] = vars(peak) | {
                    "per_minute": per_minute
                }
                name = f"  ... every file distinct, {size}, --jobs {jobs}"
                say(
                    f"{name:<40} {peak.seconds:6.1f} s = {per_minute:5.1f} students/min,"
                    f" peak PSS {peak.pss:5.0f} MiB, RSS {peak.rss:5.0f} MiB"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["load_after"] = os.getloadavg()[0]
    say(f"load average after the run: {figures['load_after']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
