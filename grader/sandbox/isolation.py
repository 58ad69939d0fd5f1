"""Isolation of a worker beyond rlimits, where the machine allows it (Linux, running as root).

As root, each worker gets: its own control groups (a hard memory limit counted in resident
memory, so CUDA's large address-space reservations still work; a process limit; and a list of
every process it started, however it detached, so all of them can be ended), private mount and
network namespaces (no network; the reference solutions, the hidden checks, the quiz keys and the
workspace hidden under empty read-only mounts; a small private /tmp), and an unprivileged user id
of its own with no way back to root. Without root none of this is possible: the grader says so
once and carries on with rlimits, process groups and a stripped environment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x2, 0x4, 0x1000, 0x4000, 0x40000
PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 38, 4, 36
CGROUP_ROOT = Path("/sys/fs/cgroup")

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class IsolationError(Exception):
    """An isolation step that should have worked failed.

    Cause: the kernel refused a namespace, mount or cgroup operation (a container without the
    needed capabilities). Remedy: run the grader as root in a container that allows user, mount
    and network namespaces, or accept the weaker isolation that the run's notes describe.
    """


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(f"{what} failed: {os.strerror(errno)} (errno {errno})")


_AVAILABLE: tuple[bool, str] | None = None


def available() -> tuple[bool, str]:
    """Whether full isolation can be used here, and if not, why (for the run's notes)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        _AVAILABLE = _probe()
    return _AVAILABLE


def _probe() -> tuple[bool, str]:
    if not sys.platform.startswith("linux"):
        return False, f"strong isolation needs Linux, this is {sys.platform}"
    if os.geteuid() != 0:
        return False, (
            "not running as root: learner code runs as your own user, can read the "
            "reference solutions and the hidden checks, and can reach the network"
        )
    pid = os.fork()
    if pid == 0:  # try the namespaces in a throwaway child: a container may forbid them
        os._exit(0 if _libc.unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return False, (
            "running as root, but this container forbids mount and network namespaces: "
            "learner code can read the reference solutions and hidden checks and reach "
            "the network (give the container CAP_SYS_ADMIN for full isolation)"
        )
    return True, ""


def protect_grader() -> None:
    """Make this process unreadable to same-user processes (no ptrace, no /proc/PID/mem)."""
    if sys.platform.startswith("linux"):
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


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

    def kill_all(self) -> None:
        """End every process in the groups, then remove the groups."""
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
        for path in self.paths:
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _mount_empty(target: str) -> None:
    _check(
        _libc.mount(
            b"tmpfs",
            target.encode(),
            b"tmpfs",
            MS_RDONLY | MS_NOSUID | MS_NODEV,
            b"size=4k,mode=000",
        ),
        f"hiding {target}",
    )


def _closed_ancestors(paths: list[str]) -> dict[str, set[str]]:
    """For each folder others may not enter on the way to `paths`: the children needed in it."""
    closed: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(path).resolve().parts
        for depth in range(1, len(parts) - 1):
            folder = os.path.join(*parts[: depth + 1])
            try:
                if os.stat(folder).st_mode & 0o001 == 0:
                    closed.setdefault(folder, set()).add(os.path.join(folder, parts[depth + 1]))
                    break
            except OSError:
                break
    return closed


def _expose(paths: list[str]) -> None:
    """Let the unprivileged user reach `paths` (Python, torch) through closed folders like /root.

    The closed folder is covered, in this mount namespace only, by an open tmpfs holding just
    the needed children, each bound to the original (reached through a descriptor opened first).
    """
    for folder, children in _closed_ancestors(paths).items():
        handles = {child: os.open(child, os.O_PATH) for child in children}
        _check(
            _libc.mount(
                b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=4k,mode=755"
            ),
            f"opening {folder}",
        )
        for child, handle in handles.items():
            if os.path.isdir(f"/proc/self/fd/{handle}"):
                os.mkdir(child)
            else:
                open(child, "w").close()
            _check(
                _libc.mount(
                    f"/proc/self/fd/{handle}".encode(), child.encode(), None, MS_BIND | MS_REC, None
                ),
                f"exposing {child}",
            )
            os.close(handle)


def enter(config: dict) -> None:
    """In the worker, as root: namespaces, hidden paths, a private /tmp, then an unprivileged uid.

    The learner's file has already been copied into `config["tmpdir"]`, which is re-created
    inside the private /tmp; the output file stays open on the descriptors it was opened on.
    """
    uid = config["uid"]
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare(mount, network)")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    needed = [str(Path(p).resolve()) for p in sys.path if p and os.path.exists(p)]
    needed.append(str(Path(__file__).resolve().parents[1]))
    _expose(needed)
    for path in config.get("hide", []):
        if os.path.isdir(path):
            _mount_empty(path)
    learner_copy = Path(config["file"]).read_bytes()
    for scratch, size in (("/tmp", "64m"), ("/var/tmp", "4m"), ("/dev/shm", "256m")):
        if os.path.isdir(scratch):
            # Python or the grader may live in there (a venv under /tmp): carry them across.
            inside = [p for p in needed if p.startswith(scratch + "/")]
            handles = {p: os.open(p, os.O_PATH) for p in inside}
            _check(
                _libc.mount(
                    b"tmpfs",
                    scratch.encode(),
                    b"tmpfs",
                    MS_NOSUID | MS_NODEV,
                    f"size={size},mode=1777".encode(),
                ),
                f"private {scratch}",
            )
            for path, handle in handles.items():
                os.makedirs(path, exist_ok=True)
                _check(
                    _libc.mount(
                        f"/proc/self/fd/{handle}".encode(),
                        path.encode(),
                        None,
                        MS_BIND | MS_REC,
                        None,
                    ),
                    f"keeping {path}",
                )
                os.close(handle)
            # What was carried across may hold hidden folders (a project under /tmp): hide again.
            for path in config.get("hide", []):
                if path.startswith(scratch + "/") and os.path.isdir(path):
                    _mount_empty(path)
    workdir = Path(config["tmpdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    Path(config["file"]).write_bytes(learner_copy)
    for path in (workdir, Path(config["file"])):
        os.chown(path, uid, uid)
    os.chdir(workdir)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def copy_learner_file(source: Path, tmpdir: str) -> str:
    """Copy the learner's file into the worker's folder; the path the worker imports.

    A notebook arrives as the Python module its code cells define (`grader.notebook`).
    """
    if source.suffix == ".ipynb":
        from grader import notebook

        target = os.path.join(tmpdir, source.stem + ".py")
        notebook.write_python(source, Path(target))
        return target
    target = os.path.join(tmpdir, source.name)
    shutil.copyfile(source, target)
    return target
