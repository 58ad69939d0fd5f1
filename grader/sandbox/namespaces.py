"""A worker in namespaces of its own: mount, network, IPC, UTS and PID (and user, without root).

The process tree, after `enter` returns in the serving process:

    fork server ── keeper (host PID namespace) ── init (PID 1) ── server (learner code)

* The **keeper** is the pid the fork server knows. It only waits for init and then ends with
  the serving process's own status (exit code or signal), so a crash still reads as a crash.
* **init** is PID 1 of the worker's PID namespace. It builds the allowlist root
  (`rootfs.build`), forks the server and reaps whatever the learner's code orphans. When it
  ends, the kernel kills every process left in the namespace: nothing the learner started can
  outlive the worker, however it detached. It dies with the keeper (`PR_SET_PDEATHSIG`).
* The **server** drops every privilege: as root, to a fresh unprivileged uid; without root, to
  a uid of a nested user namespace that owns no mount, so the read-only root stays read-only.

`/proc` shows the namespace's processes only (not the grader's command line or environment);
SysV IPC objects die with the IPC namespace.
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
from collections.abc import Callable

from grader.sandbox.libc import LIBC as _libc

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
ALL = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 38, 4
MS_REC, MS_PRIVATE = 0x4000, 0x40000
INNER_UID = 1000  # the learner's uid inside a nested user namespace (non-root mode)
SETUP_FAILED = 86  # same as worker.INTERNAL_FAILURE: the sandbox could not start


class NamespaceError(OSError):
    """The kernel refused a namespace step."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise NamespaceError(errno, f"{what}: {os.strerror(errno)}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _map_self(inside: int, outside_uid: int, outside_gid: int) -> None:
    """Map one uid and gid of a fresh user namespace (the only mapping an unprivileged user may write)."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside} {outside_uid} 1\n")
    _write("/proc/self/gid_map", f"{inside} {outside_gid} 1\n")


def unshare_all(as_root: bool) -> None:
    """New namespaces for this process (and, for PID, its next child)."""
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(ALL | (0 if as_root else CLONE_NEWUSER)), "unshare")
    if not as_root:
        _map_self(0, uid, gid)
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private mounts")


def _mirror(status: int) -> None:
    """End this process the way the waited-for one ended (same exit code or signal)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(sig, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
            os.kill(os.getpid(), sig)
        except (OSError, ValueError):
            pass
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else SETUP_FAILED)


def _close_all_but(*keep: int) -> None:
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)


def _die_with_parent(parent: int) -> None:
    """End with the parent. `parent` is its pid as seen from here: 0 when it lives outside
    this PID namespace (the keeper, seen from init)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(SETUP_FAILED)


def spawn_tree(setup: Callable[[], object], drop: Callable[[], None]) -> None:
    """Fork init and the server; only the server returns (after `setup` and `drop` ran).

    `setup()` runs in init, as namespace root (builds the root); `drop()` in the server, which
    then serves learner code. Call after `unshare_all`.
    """
    read_end, write_end = os.pipe()
    init = os.fork()
    if init:  # the keeper
        os.close(write_end)
        _close_all_but(read_end)
        _, status = os.waitpid(init, 0)
        reported = os.read(read_end, 4)
        _mirror(struct.unpack("i", reported)[0] if len(reported) == 4 else status)
    try:
        _die_with_parent(0)
        os.close(read_end)
        setup()
        server = os.fork()
    except BaseException:  # noqa: BLE001 - report through the status, never return
        import traceback

        traceback.print_exc()
        os._exit(SETUP_FAILED)
    if server == 0:
        os.close(write_end)
        _die_with_parent(1)
        drop()
        return
    _close_all_but(write_end)  # the channel too: the grader sees EOF when the server ends
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    drop()
    while True:  # reap orphans until the server ends; then the namespace ends with us
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        if pid == server:
            os.write(write_end, struct.pack("i", status))
            os._exit(0)


def drop_to(uid: int) -> None:
    """As root: become `uid` (no account, no groups) for good."""
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def drop_nested() -> None:
    """Without root: move into a nested user namespace as an ordinary uid with no capability.

    The nested namespace owns no mount namespace, so the root built by its parent can be
    neither remounted writable nor uncovered.
    """
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    _check(_libc.unshare(CLONE_NEWUSER), "unshare(user)")
    _map_self(INNER_UID, 0, 0)
    os.setresgid(INNER_UID, INNER_UID, INNER_UID)
    os.setresuid(INNER_UID, INNER_UID, INNER_UID)


def usable(as_root: bool) -> str:
    """'' when a throwaway child can enter every namespace here, else what the kernel said."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        message = ""
        try:
            unshare_all(as_root)
            child = os.fork()
            if child == 0:
                os._exit(0)
            os.waitpid(child, 0)
        except OSError as exc:
            message = str(exc)
        os.write(write_end, message.encode()[:500])
        os._exit(0)
    os.close(write_end)
    message = os.read(read_end, 1000).decode(errors="replace")
    os.close(read_end)
    os.waitpid(pid, 0)
    return message
