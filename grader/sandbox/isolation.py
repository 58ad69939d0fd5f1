"""Isolation of a worker beyond rlimits, where the machine allows it (Linux).

Every isolated worker runs in its own mount, network, IPC, UTS and PID namespaces, on a root
file system that is an allowlist (`rootfs.py`), as a uid with no privilege (`namespaces.py`).
As root it also gets control groups (a hard memory limit counted in resident memory, so CUDA's
large address-space reservations still work; a process limit; the list of every process it
started) and a fresh unprivileged uid of its own. Without root, unprivileged user namespaces
give the same namespaces and root file system; where neither works, the run's notes say
concretely what learner code can do.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.libc import LIBC as _libc

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
CGROUP_ROOT = Path("/sys/fs/cgroup")


_MODE: tuple[str, str] | None = None

NOTE_NONE = (
    "learner code is NOT isolated here: it runs as your own user and can read your files "
    "(the reference solutions and hidden checks among them), read the environment of your other "
    "processes, reach the network and leave processes running after the grader ends"
)


def mode() -> tuple[str, str]:
    """How workers are isolated here, and for the run's notes what that leaves open.

    'root': namespaces, an allowlist root, cgroups and a fresh unprivileged uid. 'userns': the
    same namespaces and allowlist root through an unprivileged user namespace, without cgroups
    (memory is bounded by RLIMIT_DATA only). 'none': rlimits and a stripped environment only.
    """
    global _MODE
    if _MODE is None:
        _MODE = _probe()
    return _MODE


def adopt_mode(found: tuple[str, str]) -> None:
    """Take `mode()` as another trusted process of this run found it (probing forks a process)."""
    global _MODE
    _MODE = (str(found[0]), str(found[1]))


def available() -> tuple[bool, str]:
    """Whether workers are isolated here (root or user namespaces), and if not, why."""
    kind, note = mode()
    return kind != "none", note


def _probe() -> tuple[str, str]:
    if not sys.platform.startswith("linux"):
        return "none", f"{NOTE_NONE} (isolation needs Linux, this is {sys.platform})"
    from grader.sandbox import namespaces

    as_root = os.geteuid() == 0
    refused = namespaces.usable(as_root)
    if not refused:
        return ("root" if as_root else "userns"), ""
    how = (
        "running as root, but this container forbids namespaces"
        if as_root
        else "not root, and this system forbids unprivileged user namespaces"
    )
    return "none", f"{NOTE_NONE} ({how}: {refused})"


def protect_grader() -> None:
    """Make this process unreadable to same-user processes (no ptrace, no /proc/PID/mem)."""
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def die_with_parent(parent: int) -> None:
    """End this (forked, trusted) process when `parent` ends, even by SIGKILL (Linux only)."""
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent ended before the line above
            os._exit(1)


def become_subreaper() -> None:
    """Adopt orphaned descendants (double-forked daemons), so they can be found and ended."""
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


ISSUED_UIDS: list[int] = []


def fresh_uid() -> int:
    """An unprivileged user id that no other process uses (there is no account behind it)."""
    uid = random.randrange(200_000, 2_000_000_000)
    ISSUED_UIDS.append(uid)
    return uid


@dataclass
class Cgroups:
    """A worker's control groups (memory and pids; v1 hierarchies or the v2 unified one)."""

    paths: list[Path]
    version: int

    @classmethod
    def create(cls, name: str, memory_bytes: int, max_processes: int) -> Cgroups | None:
        """New groups with the limits set, or None where cgroups cannot be written."""
        try:
            if (CGROUP_ROOT / "cgroup.controllers").exists():
                path = CGROUP_ROOT / name
                path.mkdir()
                (path / "memory.max").write_text(str(memory_bytes))
                (path / "memory.swap.max").write_text("0") if (
                    path / "memory.swap.max"
                ).exists() else None
                (path / "pids.max").write_text(str(max_processes))
                return cls([path], 2)
            memory, pids = CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name
            memory.mkdir()
            pids.mkdir()
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(max_processes))
            return cls([memory, pids], 1)
        except OSError:
            return None

    def join(self) -> None:
        """Move the calling process into the groups (the worker does this before dropping root)."""
        for path in self.paths:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> set[int]:
        """Every process in the groups."""
        found: set[int] = set()
        for path in self.paths:
            try:
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return found

    def out_of_memory(self) -> bool:
        """Whether the kernel had to kill something in the group for memory."""
        memory = self.paths[0]
        try:
            if self.version == 2:
                events = dict(
                    line.split() for line in (memory / "memory.events").read_text().splitlines()
                )
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            control = dict(
                line.split() for line in (memory / "memory.oom_control").read_text().splitlines()
            )
            return (
                int(control.get("oom_kill", 0)) > 0
                or int((memory / "memory.failcnt").read_text()) > 0
            )
        except (OSError, ValueError):
            return False

    def kill_all(self) -> bool:
        """End every process in the groups, then remove the groups; whether all were removed.

        A group can be removed only once no process is left in it, and a worker's processes
        cannot leave their groups (the groups' files are root's): True means every process of
        the worker has ended.
        """
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            remaining = self.pids()
            if not remaining:
                break
            for pid in remaining:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        return all([_remove_group(path) for path in self.paths])  # a list: each one is tried


def _remove_group(path: Path) -> bool:
    """Remove an emptied group, retrying for a second while its last processes are reaped."""
    for _ in range(100):
        try:
            path.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(0.01)
    return False


def enter(config: dict[str, Any]) -> None:
    """In the worker: namespaces, the allowlist root, then no privilege; returns in the server.

    The learner's files were copied into `config["tmpdir"]` on the host; they are carried into
    the worker's private /tmp, and `config` is updated to where they now are.
    """
    from grader.sandbox import namespaces, rootfs

    as_root = config["isolation"] == "root"
    host_dir = config["tmpdir"]
    files = {}
    for entry in os.scandir(host_dir):
        if entry.is_file(follow_symlinks=False) and entry.name != ".output":
            with open(entry.path, "rb") as handle:
                files[entry.name] = handle.read()
    the_plan = rootfs.plan(config.get("hide", []), bool(config.get("cuda")))
    workdir = "/tmp/" + os.path.basename(host_dir)
    uid = config["uid"] if as_root else 0
    config["file"] = os.path.join(workdir, os.path.basename(config["file"]))
    config["tmpdir"] = workdir
    namespaces.unshare_all(as_root)
    namespaces.spawn_tree(
        setup=lambda: rootfs.build(the_plan, host_dir, workdir, files, uid),
        drop=(lambda: namespaces.drop_to(uid)) if as_root else namespaces.drop_nested,
    )
    os.environ.update(HOME=workdir, TMPDIR=workdir)


def copy_learner_file(source: Path, tmpdir: str, content: bytes | None = None) -> str:
    """Write the learner's program into the worker's folder; the path the worker imports.

    `content` is the program as the trusted side read it (never through a symlink); without
    it the file is read here the same way. A notebook arrives as the Python module its code
    cells define (`grader.notebook`).
    """
    from grader import nofollow

    target = os.path.join(tmpdir, source.stem + ".py")
    if content is None and source.suffix == ".ipynb":
        from grader import notebook

        notebook.write_python(source, Path(target))
        return target
    if content is None:
        content = nofollow.read_bytes(source)
    with open(target, "wb") as handle:  # the exercise file wins over a same-named sibling
        handle.write(content)
    return target
