"""The worker's root file system: an allowlist of read-only binds on an empty tmpfs.

Why an allowlist: hiding a list of known folders is never complete, because every copy of the
answers that nobody listed (a `.git` history, a second checkout, a private folder holding its
own virtual environment) stays readable. Here the worker's `/` starts empty and receives only
what it needs, read-only: the Python installation and its site-packages, the system libraries
under `/usr`, a few files of `/etc` that the dynamic loader reads, `/sys`, a handful of device
nodes, and of the grader package only the code that runs next to learner code (`sandbox/`,
`probes/` and the `recipes/` they build with). Writable are private, size-limited tmpfs mounts: `/tmp` (holding the worker's own
copy of the learner's file), `/var/tmp`, `/dev/shm` and `/run/lock`. A fresh `/proc` shows the
worker's own PID namespace only. Everything else of the host, the project folder and its
`.git`, the checks, the solutions, homes, class folders, is simply not there.

Everything here runs in the worker's private mount namespace, as (namespace) root, before
learner code is imported; `build` is called by the PID-namespace init (see `namespaces.py`).
"""

from __future__ import annotations

import ctypes
import os
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox.libc import LIBC as _libc

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
# Flags a remount must keep in a user namespace (they are locked on mounts from the host).
_KEPT_ON_REMOUNT = 0x8 | 0x400 | 0x800 | 0x1000  # noexec, noatime, nodiratime, relatime
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}

# Private writable scratch space: (path, size). Nothing written there reaches the host's disk.
SCRATCH = (("/tmp", "64m"), ("/var/tmp", "4m"), ("/dev/shm", "256m"), ("/run/lock", "1m"))
DEVICES = ("null", "zero", "full", "random", "urandom")
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf")
# The parts of the grader package that run inside the worker; checks, catalog, quiz and stubs
# stay outside.
GRADER_PARTS = ("__init__.py", "deferred_dynamo.py", "sandbox", "probes", "recipes")
PACKAGE_DIR = Path(__file__).resolve().parents[1]


class RootError(OSError):
    """A step of building the worker's root failed (the kernel refused a mount)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise RootError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {source or ''} on {target}",
    )


@dataclass
class Plan:
    """What the worker's root holds: host paths bound read-only, and where its scratch is."""

    binds: list[str] = field(default_factory=list)
    symlinks: dict[str, str] = field(default_factory=dict)
    hide: list[str] = field(default_factory=list)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def plan(hide: list[str], cuda: bool) -> Plan:
    """The allowlist for this interpreter: computed in the worker, from what it really uses."""
    result = Plan(hide=list(hide))
    wanted: list[str] = ["/usr", "/sys"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            result.symlinks[top] = os.readlink(top)
        elif os.path.isdir(top):
            wanted.append(top)
    wanted += [f"/etc/{name}" for name in ETC]
    wanted += [f"/dev/{name}" for name in DEVICES]
    if cuda:
        wanted += [f"/dev/{n}" for n in sorted(os.listdir("/dev")) if n.startswith("nvidia")]
        wanted += [os.environ.get("CUDA_HOME", ""), "/run/nvidia-persistenced"]
    project = str(PACKAGE_DIR.parent)
    for entry in [sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path]:
        if not entry or not os.path.exists(entry):
            continue
        for candidate in {os.path.abspath(entry), os.path.realpath(entry)}:
            # The folder that holds the grader package (a checkout) is never bound whole.
            if _inside(project, candidate):
                continue
            wanted.append(candidate)
    for entry in os.environ.get("LD_LIBRARY_PATH", "").split(":"):
        if entry and not _inside(project, os.path.realpath(entry)):
            wanted.append(os.path.realpath(entry))
    kept: list[str] = []
    # Never a folder that holds scratch space (`/`, `/tmp`, `/run`): the host's would show.
    scratch = [path for path, _ in SCRATCH]
    wanted = [p for p in wanted if not any(_inside(s, p) for s in scratch)]
    for path in sorted({p for p in wanted if p and os.path.lexists(p)}, key=len):
        if not any(_inside(path, done) for done in kept):
            kept.append(path)
    result.binds = kept
    return result


def _make_target(path: str, like: str) -> None:
    """An empty mount point for `like` (a folder or a file) at `path`."""
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            with open(path, "w"):
                pass


def _mount_points(target: str) -> list[str]:
    """The mount points at or below `target` in this mount namespace, parents first."""
    below = target.rstrip("/") + "/"
    found = set()
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            fields = line.split()
            # Spaces, tabs, newlines and backslashes in a path are written as octal escapes.
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if point == target or point.startswith(below):
                found.add(point)
    return sorted(found, key=lambda p: (p.count("/"), p))


def _bind_readonly(source: str, target: str) -> None:
    """Bind `source` at `target` read-only, with every mount below it read-only too.

    A recursive bind brings the host's mounts below `source` along (for /sys: the cgroup
    hierarchies, debugfs, bpf), each as writable as on the host; a remount changes one mount
    only, so each is remounted, or detached where the kernel refuses.
    """
    _make_target(target, source)
    _mount(source, target, None, MS_BIND | MS_REC)
    nodev = 0 if source.startswith("/dev/") else MS_NODEV
    detached: list[str] = []
    for point in _mount_points(target):
        if any(point.startswith(gone + "/") for gone in detached):
            continue  # went with the mount above it
        try:
            kept = os.statvfs(point).f_flag & _KEPT_ON_REMOUNT
        except OSError:
            continue  # a path nobody here can reach (e.g. under /sys/kernel/debug, mode 700)
        try:
            _mount(None, point, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | nodev | kept)
        except RootError:
            if point == target:
                raise
            _check(_libc.umount2(point.encode(), MNT_DETACH), f"umount {point}")
            detached.append(point)


def _grader_parts(root: str) -> None:
    """Cover the grader package (wherever it is) with only the parts the worker runs."""
    target = root + str(PACKAGE_DIR)
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    for name in GRADER_PARTS:
        source = PACKAGE_DIR / name
        if source.exists():
            _bind_readonly(str(source), f"{target}/{name}")
    # Its mount points made, the folder holding them is read-only too: no file of the worker's
    # can sit among the grader's.
    _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _scratch(root: str, path: str, size: str) -> None:
    target = root + path
    os.makedirs(target, exist_ok=True)
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")


def build(the_plan: Plan, root: str, workdir: str, files: dict[str, bytes], uid: int) -> None:
    """Assemble the root at `root` (an empty folder), switch to it, and make it read-only.

    `files` (name -> content) are written into `workdir`, a folder of the private `/tmp`,
    owned by `uid`: the worker's only copy of the learner's code.
    """
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    # Scratch first: Python itself may live under /tmp (a checkout's venv there), and its
    # bind must lie on top of the private /tmp, not under it.
    for path, size in SCRATCH:
        _scratch(root, path, size)
    for path in the_plan.binds:
        _bind_readonly(path, root + path)
    for link, target in the_plan.symlinks.items():
        os.symlink(target, root + link)
    _grader_parts(root)
    for path in the_plan.hide:  # second layer: a hidden folder inside something bound
        if os.path.isdir(root + path):
            _mount(
                "tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=000"
            )
    if not os.path.lexists(root + "/var/lock"):
        os.symlink("/run/lock", root + "/var/lock")
    os.makedirs(root + "/proc", exist_ok=True)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{root}/dev/{name}")
    # Before the host's root goes: a user namespace may mount a proc only while one is visible.
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _pivot(root)
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.makedirs(workdir, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(workdir, name), "wb") as handle:
            handle.write(content)
        os.chown(os.path.join(workdir, name), uid, uid)
    os.chown(workdir, uid, uid)
    os.chmod(workdir, 0o700)
    os.chdir(workdir)


def _pivot(root: str) -> None:
    """Make `root` the root and detach the host's: nothing of it stays reachable."""
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise RootError(0, f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(root)
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detaching the host's root")
    os.chdir("/")
