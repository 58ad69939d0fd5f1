"""What this machine or container really gives the grader: CPUs and memory, from its cgroups.

`os.cpu_count()` is the host's count: inside a Gradescope container with half a CPU or a CI
job pinned to one core it is still 2, 4 or 64, and grading that many exercises at once only
makes them race for the one core (and each parallel job holds its own memory). The kernel's
own accounting (affinity, the CPU quota and the memory limit of this process's cgroup) says
what the grader may use; everything here reads it and never raises.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.sandbox.limits import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
UNLIMITED = 1 << 62
# Memory one more parallel grading job needs on top of a single one (measured with
# bench/bench.py: a forked job and its worker), and what a single job needs at least.
JOB_BYTES = 512 * 1024**2
BASE_BYTES = 1024 * 1024**2
# The least memory limit a worker gets, whatever the container: its limit (RLIMIT_DATA) counts
# the private data mappings it inherits from the fork server, about 770 MiB with torch and
# 860 MiB with torchvision (virtual, mostly never touched), so below this torch cannot run.
WORKER_FLOOR_BYTES = 1536 * 1024**2


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per controller ('' for the v2 unified hierarchy)."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2]
    return paths


def _candidates(mount: Path, own: str) -> list[Path]:
    """The folders of this process's cgroup and its ancestors under `mount`, and the mount.

    In a container the mount is the container's own cgroup while /proc/self/cgroup may still
    name the host's path: both are looked at, and the tightest limit wins.
    """
    folders = [mount]
    parts = [p for p in own.split("/") if p]
    for depth in range(1, len(parts) + 1):
        folders.append(mount.joinpath(*parts[:depth]))
    return [f for f in folders if f.is_dir()]


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().split()
    except OSError:
        return None
    if not text or text[0] == "max":
        return None
    try:
        return int(text[0])
    except ValueError:
        return None


def memory_limit() -> int | None:
    """Bytes of memory this process's cgroup (or an ancestor) allows, or None if unlimited."""
    own = _own_paths()
    found: list[int] = []
    if "" in own and (CGROUP_ROOT / "cgroup.controllers").exists():
        found += [
            v
            for f in _candidates(CGROUP_ROOT, own[""])
            if (v := _read_int(f / "memory.max")) is not None
        ]
    if "memory" in own:
        found += [
            v
            for f in _candidates(CGROUP_ROOT / "memory", own["memory"])
            if (v := _read_int(f / "memory.limit_in_bytes")) is not None
        ]
    limit = min(found, default=UNLIMITED)
    return None if limit >= UNLIMITED else limit


def _quota() -> float | None:
    """CPUs allowed by the CFS quota of this process's cgroup, or None without one."""
    own = _own_paths()
    found: list[float] = []
    if "" in own and (CGROUP_ROOT / "cgroup.controllers").exists():
        for folder in _candidates(CGROUP_ROOT, own[""]):
            try:
                quota, period = (folder / "cpu.max").read_text().split()
            except (OSError, ValueError):
                continue
            if quota != "max" and int(period) > 0:
                found.append(int(quota) / int(period))
    for name in ("cpu", "cpu,cpuacct"):
        if name.split(",")[0] not in own:
            continue
        for folder in _candidates(CGROUP_ROOT / name, own[name.split(",")[0]]):
            quota_us = _read_int(folder / "cpu.cfs_quota_us")
            period_us = _read_int(folder / "cpu.cfs_period_us")
            if quota_us is not None and quota_us > 0 and period_us:
                found.append(quota_us / period_us)
    return min(found, default=None)


def cpus() -> int:
    """Whole CPUs this process may use: its affinity, capped by its cgroup's quota (at least 1)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _quota()
    if quota is not None:
        count = min(count, math.ceil(quota))
    return max(1, count)


def default_jobs() -> int:
    """Exercises (or students) graded at once when --jobs is not given.

    One per usable CPU, and no more than the memory limit leaves room for: with a 768 MB
    container (Gradescope's default) that is one, so nothing races for half a CPU and a single
    worker is alive at a time.
    """
    jobs = cpus()
    limit = memory_limit()
    if limit is not None:
        jobs = min(jobs, max(1, 1 + (limit - BASE_BYTES) // JOB_BYTES))
    return max(1, jobs)


def worker_memory(requested: int) -> int:
    """A worker's memory limit: what was asked, at most what the container gives.

    Never below WORKER_FLOOR_BYTES, where a worker could not even hold torch: in a container
    smaller than that the container's own limit is the one that applies.
    """
    limit = memory_limit()
    if limit is None:
        return requested
    return min(requested, max(WORKER_FLOOR_BYTES, limit))


def worker_limits(limits: Limits) -> Limits:
    """`limits` with the memory limit capped by the container's (see `worker_memory`)."""
    memory = worker_memory(limits.memory_bytes)
    return (
        limits
        if memory == limits.memory_bytes
        else dataclasses.replace(limits, memory_bytes=memory)
    )
