"""A fork server: forks fresh workers from a process that has imported torch and nothing else.

Importing torch costs over a second; forking a process that already has it costs milliseconds.
The zygote is forked before the grader computes anything, initialises CUDA or starts threads,
so each worker starts from a clean, single-threaded copy.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import cast

from grader.sandbox import isolation, pages

_REQUEST_LIMIT = 1 << 16
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


class ZygoteError(Exception):
    """The fork server did not answer.

    Cause: it was killed or the system refused to fork. Remedy: the next request starts a new
    zygote; if forking keeps failing, check the machine's process limit (`ulimit -u`).
    """


_active: set[int] = set()
_finished: dict[int, int] = {}
_trusted_pids: set[int] = set()  # trusted processes (the checking process): never swept
_release_pending = False  # imports done since pages were last given back (pages.py)


def _serve(primary: socket.socket) -> None:
    """Answer requests on the primary channel and on channels attached later (one per job)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    isolation.become_subreaper()
    channels = selectors.DefaultSelector()
    channels.register(primary, selectors.EVENT_READ)
    while True:
        for key, _ in channels.select():
            control = cast(socket.socket, key.fileobj)  # only sockets are registered
            try:
                data, fds, _, _ = socket.recv_fds(control, _REQUEST_LIMIT, 1)
            except OSError:
                data, fds = b"", []
            if not data:
                if control is primary:
                    os._exit(0)
                channels.unregister(control)
                control.close()
                continue
            _answer(control, json.loads(data), fds, channels)
            if _release_pending:
                _give_back()


def _answer(
    control: socket.socket, request: dict, fds: list[int], channels: selectors.BaseSelector
) -> None:
    """Carry out one request from a channel."""
    if request["op"] == "spawn":
        pid = os.fork()
        if pid == 0:
            from grader.sandbox import worker

            worker.main(fds[0], request["config"])  # closes every other descriptor first
        os.close(fds[0])
        _active.add(pid)
        control.sendall(json.dumps({"pid": pid}).encode())
    elif request["op"] == "attach":
        channels.register(socket.socket(fileno=fds[0]), selectors.EVENT_READ)
        control.sendall(b'{"attached": true}')
    elif request["op"] == "wait":
        status = _wait(request["pid"], request["timeout"])
        control.sendall(json.dumps({"status": status}).encode())
    elif request["op"] == "sweep":
        control.sendall(json.dumps({"killed": _sweep(request.get("uid"))}).encode())
    elif request["op"] == "preload":
        control.sendall(json.dumps({"loaded": _preload(request["names"])}).encode())
    elif request["op"] == "trusted":
        pid = _fork_trusted(request["entry"], fds[0], channels)
        control.sendall(json.dumps({"pid": pid}).encode())


def _entry_point(entry: str) -> Callable[[int, socket.socket, int], None]:
    """The function named `module:function`, of the grader's own package only.

    Named by the grader rather than imported here, so that the sandbox does not depend on the
    engine that uses it (the engine names its checking process's body).
    """
    module, _, function = entry.partition(":")
    if not (module == "grader" or module.startswith("grader.")) or not function.isidentifier():
        raise ValueError(f"not an entry point of the grader: {entry!r}")
    return cast(Callable[[int, socket.socket, int], None], getattr(import_module(module), function))


def _fork_trusted(entry: str, fd: int, channels: selectors.BaseSelector) -> int:
    """Fork a trusted process (the one that runs a run's checks) sharing this server's torch.

    It is forked before it has received anything: what it learns later (the run's options,
    the grader's environment, check code, expected values) is never in this server, so never in
    a worker forked from it. It reaches this server over a channel of its own, as a job does.
    `entry` (`module:function`) is its body, called with `fd`, that channel and our pid.
    """
    ours, theirs = socket.socketpair()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            ours.close()
            for key in list(channels.get_map().values()):
                cast(socket.socket, key.fileobj).close()  # the grader's and the jobs' channels
            channels.close()
            _entry_point(entry)(fd, theirs, parent)
        except BaseException:  # noqa: BLE001 - it ends through os._exit only
            status = 1
        finally:
            os._exit(status)
    os.close(fd)
    theirs.close()
    channels.register(ours, selectors.EVENT_READ)
    _trusted_pids.add(pid)
    return pid


def _reap_any() -> None:
    """Collect every ended child: workers (their status is kept) and adopted orphans."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        if pid in _active:
            _finished[pid] = status
        _trusted_pids.discard(pid)


def _wait(pid: int, timeout: float) -> int | None:
    """Reap `pid`, waiting up to `timeout` seconds; its raw wait status, or None if still running."""
    deadline = time.monotonic() + timeout
    while True:
        _reap_any()
        if pid in _finished:
            _active.discard(pid)
            return _finished.pop(pid)
        if pid not in _active or time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


def _children() -> list[int]:
    """Pids whose parent is this process (workers and adopted orphans)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def _sweep(uid: int | None) -> int:
    """End what ended workers left behind: adopted orphans and, as root, every process of `uid`."""
    killed = 0
    if uid is not None and os.geteuid() == 0:
        pid = os.fork()
        if pid == 0:
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)  # every process of this uid but the caller
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    if sys.platform.startswith("linux"):
        for pid in _children():
            if pid not in _active and pid not in _trusted_pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
    # Reap what was killed (a worker's PID-namespace init, adopted when its keeper ended, is
    # among them) before answering: the caller may count what is left right away.
    deadline = time.monotonic() + 1.0
    while True:
        _reap_any()
        left = (
            [p for p in _children() if p not in _active and p not in _trusted_pids]
            if sys.platform.startswith("linux")
            else []
        )
        if not left or time.monotonic() > deadline:
            return killed
        time.sleep(0.005)


def _preload(names: object) -> list[str]:
    """Import `names` (module names from the catalog) here, once; those now imported.

    Runs in the server, which never runs learner code: workers forked later start with them.
    Imported with the collector paused, then everything the server holds is frozen before it
    runs again (collector.py): torch's hundreds of thousands of objects, out of its sight, so
    that a worker's full collections no longer walk them (they made every probe about 1 ms
    slower) and no collection writes to their pages, which stay shared instead of copied.
    Then the pages of code and read-only data the imports read once are given back (pages.py,
    once the request at hand is answered): about 210 MiB of libtorch's and the CUDA libraries',
    which nothing here reads again.
    """
    import importlib

    from grader import collector

    loaded = []
    with collector.paused(freeze=True):
        for name in names if isinstance(names, list) else []:
            if not isinstance(name, str) or not _MODULE.match(name):
                continue
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a missing optional module only slows workers
                continue
            loaded.append(name)
    global _release_pending
    _release_pending = True
    pages.will_release()  # a checking process forked before then does not scan on its own
    return loaded


def _give_back() -> None:
    """Give back the pages the imports read once (pages.py), after answering a request.

    The first request is the run's first fork (its checking process, or a worker): done after
    it, the 30 ms this takes overlap with that child's start where there is a second CPU.
    """
    global _release_pending
    _release_pending = False
    pages.release()


def serve_main(fd: int, preload: list[str] | None = None) -> None:
    """Entry point of the fork server process: import torch (and `preload`) once, then fork."""
    from grader import collector, deferred_dynamo

    # Paused: a third of the import's CPU time otherwise; frozen before it runs again, or its
    # first young collection would walk all that the import made (collector.py).
    with collector.paused(freeze=True):
        import torch  # noqa: F401 - imported once here so that every worker starts with it

        deferred_dynamo.install()  # an optimizer's first step would import it: over a second
        _preload(preload or [])  # e.g. torchvision.transforms
    isolation.protect_grader()
    try:
        _serve(socket.socket(fileno=fd))
    finally:
        os._exit(0)


class Zygote:
    """Handle on one fork server, safe to share between threads; owned by whoever created it.

    A run (or a class, or `grade watch`) creates one with the preloads its exercises need and
    hands it to every worker and job it starts; `close()` ends it. The server is a fresh
    interpreter (exec, not fork), started with a stripped environment, so neither it nor any
    worker holds the grader's memory: no secrets from the environment, no expected values, no
    check code. Started at once (the default), its torch import overlaps with the grader's own;
    `start=False` leaves the start to the first request or to `start()` (one CPU: no race).

    A handle is used only by the process that created (or adopted) it: a forked job asks for
    its own channel with `attach()` before the fork and `adopt()`s it after.
    """

    def __init__(self, preload: tuple[str, ...] = (), start: bool = True) -> None:
        self.preload = frozenset(preload)
        self.pid = 0
        self.started = False
        self._pending: frozenset[str] = frozenset()  # preloads to ask for before the next request
        self._answered = False  # whether the running server has answered anything yet
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._owner = os.getpid()
        self._lock = threading.Lock()
        if start:
            self.start()

    def start(self) -> None:
        """Start the server process (it imports torch and the preloads); nothing if started."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self.started:
            return
        from grader.sandbox.limits import KEEP_ENV

        isolation.protect_grader()
        ours, theirs = socket.socketpair()
        code = (
            "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
            "from grader.sandbox.zygote import serve_main; "
            "serve_main(int(sys.argv[2]), json.loads(sys.argv[3]))"
        )
        env = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
        package_root = str(Path(__file__).resolve().parents[2])
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                code,
                json.dumps([package_root]),
                str(theirs.fileno()),
                json.dumps(sorted(self.preload)),
            ],
            pass_fds=[theirs.fileno()],
            env=env,
            stdin=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
        theirs.close()
        self.pid = self._process.pid
        self._control = ours
        self.started = True
        self._pending = frozenset()  # it imports all of `preload`, named on its command line
        self._answered = False

    def _ask(self, request: dict, fds: list[int] | None = None) -> dict:
        if os.getpid() != self._owner:
            raise ZygoteError(
                "this fork server handle belongs to another process: a forked job attach()es "
                "its own channel before the fork and adopt()s it"
            )
        with self._lock:
            if self._process is not None and self._process.poll() is not None:
                self.started = False  # it died (killed?): the next request starts a new one
                self._control_close()
            self._start()
            if self._pending:
                self._exchange({"op": "preload", "names": sorted(self._pending)}, [])
                self._pending = frozenset()
            reply = self._exchange(request, fds or [])
        return json.loads(reply)

    def _exchange(self, request: dict, fds: list[int]) -> bytes:
        """Send one request and read its reply (the lock held); ZygoteError if none came."""
        assert self._control is not None  # _start leaves a channel
        try:
            socket.send_fds(self._control, [json.dumps(request).encode()], fds)
            reply = self._control.recv(_REQUEST_LIMIT)
        except OSError as exc:
            raise ZygoteError(f"fork server failed: {exc}") from None
        if not reply:
            raise ZygoteError("fork server closed its channel")
        self._answered = True
        return reply

    def spawn(self, config: dict) -> tuple[int, socket.socket]:
        """Fork a worker that serves `config`; its pid and our end of its channel."""
        ours, theirs = socket.socketpair()
        try:
            pid = self._ask({"op": "spawn", "config": config}, [theirs.fileno()])["pid"]
        finally:
            theirs.close()
        return pid, ours

    def wait(self, pid: int, timeout: float = 1.0) -> int | None:
        """Raw wait status of a worker once it has ended, or None if it is still running."""
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout})["status"]

    def sweep(self, uid: int | None = None) -> int:
        """End processes that ended workers left running; how many orphans were killed."""
        return self._ask({"op": "sweep", "uid": uid})["killed"]

    def ensure(self, preload: tuple[str, ...]) -> None:
        """Have the server import the modules of `preload` it lacks, before the next fork.

        Not started yet, the server is simply started with them; running, it is extended,
        never replaced (jobs may be talking to it), by a request sent just before the next one:
        nothing waits here for a server that is still importing torch. Nothing is asked when
        nothing is missing; failed imports count as asked (asking again cannot help).
        """
        missing = frozenset(preload) - self.preload
        if not missing:
            return
        with self._lock:
            self.preload |= missing
            if self.started or os.getpid() != self._owner:
                self._pending |= missing

    def fork_trusted(self, entry: str) -> socket.socket:
        """Fork a trusted process from the server, running `entry`; our channel to it.

        It shares the server's torch by copy-on-write (the grader then imports none) and is
        not a worker's parent: workers are forked from the server, never from it.
        """
        ours, theirs = socket.socketpair()
        try:
            self._ask({"op": "trusted", "entry": entry}, [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def attach(self) -> socket.socket:
        """A new channel to the same server, for a forked grading job (channels are not shared)."""
        ours, theirs = socket.socketpair()
        try:
            self._ask({"op": "attach"}, [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def adopt(self, channel: socket.socket) -> None:
        """In a forked job: talk to the server over `channel` from now on."""
        self._control = channel
        self._lock = threading.Lock()
        self._process = None
        self._owner = os.getpid()
        self.started = True
        self._pending = frozenset()  # the handle it was forked from asked for them
        self._answered = True

    def alive(self) -> bool:
        """Whether the fork server process still exists (False before it is started)."""
        if not self.started:
            return False
        if self._process is not None:
            return self._process.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _control_close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None

    def close(self) -> None:
        """Stop the fork server (it ends when its channel closes); in a job, close the channel.

        A server that has answered nothing is still importing torch, and would notice the
        closed channel only once done: it has no workers yet, and is killed (a run that found
        nothing to check, a command that ended early).
        """
        self._control_close()
        if self._process is not None and os.getpid() == self._owner:
            if not self._answered and self._process.poll() is None:
                self._process.kill()
            self._process.wait()
        self._process = None
        self.started = False

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def get(preload: tuple[str, ...] = ()) -> Zygote:
    """The process's shared fork server, for callers that own none (started on first use).

    A run given no server uses it: instructor tools grading many files, a Dask worker grading
    many students, the project's tests. The CLI's commands own theirs (`Zygote(...)`).
    `preload` names modules every worker should start with; a running server that lacks some
    imports them before its next fork. In a forked process a new one is started.
    """
    global _zygote
    with _zygote_lock:
        if (
            _zygote is None
            or _zygote._owner != os.getpid()
            or (_zygote.started and not _zygote.alive())
        ):
            _zygote = Zygote(preload)
        zygote = _zygote
    try:
        zygote.ensure(preload)
    except ZygoteError:
        pass  # the next spawn restarts or reports it; a missing preload only makes workers slower
    return zygote
