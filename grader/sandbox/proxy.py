"""The trusted side's handle on one learner file: starts its worker, sends probes, reads answers."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader import learner_modules
from grader.sandbox import codec, isolation, zygote
from grader.sandbox.limits import Limits
from grader.sandbox.worker import INTERNAL_FAILURE


@dataclass(frozen=True)
class Opaque:
    """A learner value that could not travel, known only by its type name and repr."""

    type_name: str
    text: str

    def __post_init__(self) -> None:
        # Built from worker data: bounded here whatever the worker sent.
        object.__setattr__(self, "type_name", codec.clip(str(self.type_name), codec.MAX_NAME))
        object.__setattr__(self, "text", codec.clip(str(self.text), 300))

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


class WorkerLost(BaseException):  # noqa: N818 - a control-flow signal, like KeyboardInterrupt
    """Learner code hung, crashed, exited or exceeded a limit, ending its worker.

    A BaseException so that hypothesis does not shrink by re-running a hanging call; the check
    in progress is reported as an error with `reason` (timeout, crash, memory, output, exit).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NotImplementedYet(BaseException):  # noqa: N818
    """The learner's function still raises NotImplementedError: the check is not started."""


class ImportFailed(Exception):
    """The learner's file raised while being imported; `info` is the exception as plain data."""

    def __init__(self, info: dict) -> None:
        self.info = _exception_info(info)
        super().__init__(f"{self.info['type']}: {self.info['message']}")


class LearnerRaised(Exception):
    """A learner function raised an exception; its type, builtin bases, message and line."""

    def __init__(self, info: dict) -> None:
        info = _exception_info(info)
        self.type_name = info["type"]
        self.bases = info["bases"]
        self.message = info["message"]
        self.line = info["line"]
        self.traceback = info["traceback"]
        where = f" (line {self.line})" if self.line else ""
        super().__init__(f"{self.type_name}: {self.message}{where}")

    def is_a(self, name: str) -> bool:
        """Whether the exception is (a subclass of) the builtin exception `name`."""
        return name in self.bases or name == self.type_name


class BadAnswer(Exception):
    """The worker's answer was not readable plain data (see `codec.CodecError`).

    `Learner` itself turns it into a lost worker (reason `protocol`): an answer that breaks the
    protocol means the worker is no longer the grader's, so it is ended rather than asked again.
    """


def _exception_info(info: object) -> dict:
    """The worker's description of an exception, with every field of the right type and bounded.

    The worker truncates these too, but it is the learner's process: a tampered one can send a
    25 MB type name or a list where a string belongs, and neither may reach a results file.
    """
    if type(info) is not dict:
        info = {"type": "?", "message": str(info)}
    bases = info.get("bases")
    line = info.get("line")
    return {
        "type": codec.clip(str(info.get("type", "?")), codec.MAX_NAME),
        "bases": [codec.clip(str(b), codec.MAX_NAME) for b in bases[:40]]
        if type(bases) is list
        else [],
        "message": codec.clip(str(info.get("message", "")), 2000),
        "line": line if type(line) is int and 0 < line < 1 << 31 else None,
        "traceback": str(info.get("traceback", ""))[-4000:],
    }


LARGE_ANSWER = 1024 * 1024  # bytes; honest answers are far smaller

_SIGNALS: dict[int, tuple[str, str]] = {
    signal.SIGSEGV: ("crash", "segmentation fault (signal 11) in native code"),
    signal.SIGABRT: ("crash", "aborted (signal 6)"),
    signal.SIGBUS: ("crash", "bus error (signal 7)"),
    signal.SIGFPE: ("crash", "floating point exception (signal 8)"),
    signal.SIGXFSZ: ("output", "printed or wrote more than the output limit"),
    signal.SIGXCPU: ("timeout", "used more than the CPU time limit"),
    signal.SIGKILL: (
        "crash",
        "killed (signal 9): by itself, or by the system for using too much memory",
    ),
}


def explain_status(status: int | None, learner_ran: bool = False) -> tuple[str, str]:
    """Reason and detail for a worker's raw wait status.

    Status INTERNAL_FAILURE means the sandbox failed to start, a fault of the grader, but only
    before learner code ran: after the worker's "importing" frame, the learner's own
    os._exit(86) must not pass for one.
    """
    if status is None:
        return "crash", "closed its channel to the grader and kept running"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return _SIGNALS.get(sig, ("crash", f"killed by signal {sig}"))
    code = os.WEXITSTATUS(status)
    if code == INTERNAL_FAILURE and not learner_ran:
        return "internal", "the sandbox could not start its worker (see the printed output)"
    return "exit", f"the process exited with status {code} (sys.exit() or os._exit() in your code?)"


def lift(value: Any) -> Any:
    """Turn the codec's tagged dicts back into NumPy arrays and `Opaque` stand-ins."""
    kind = type(value)
    if kind is dict:
        if set(value) == {"__ndarray__", "dtype"} and type(value["__ndarray__"]) is not dict:
            return _array(value)
        if set(value) == {"__object__", "repr"}:
            return Opaque(str(value["__object__"]), str(value["repr"]))
        if set(value) == {"__numpy_scalar__", "dtype"}:
            scalar = value["__numpy_scalar__"]
            text = repr(scalar) if type(scalar) in (bool, int, float, complex) else "?"
            return Opaque(f"numpy.{value['dtype']}", text)
        return {k: lift(v) for k, v in value.items()}
    if kind in (list, tuple):
        return kind(lift(v) for v in value)
    return value


def _array(tagged: dict) -> Any:
    """The NumPy array a worker described, only for plain numeric dtypes of matching width.

    The dtype is looked up in a whitelist, never parsed: NumPy would read `(5000,5000)f8` as a
    subarray dtype and `astype` would expand a few bytes into gigabytes.
    """
    tensor, name = tagged["__ndarray__"], tagged["dtype"]
    if type(tensor) is not __import__("torch").Tensor or tensor.requires_grad:
        return Opaque("numpy.ndarray", "unreadable array")
    if type(name) is not str or name not in codec.NUMPY_DTYPES:
        return Opaque("numpy.ndarray", f"array of dtype {str(name)[:60]!r}")
    array = tensor.numpy()
    if array.dtype != np.dtype(name):
        return Opaque("numpy.ndarray", f"array of dtype {name} sent as {array.dtype}")
    return array


class Learner:
    """One learner file behind a worker process; restarted after anything ends the worker."""

    def __init__(
        self,
        file: Path,
        module: str,
        probes: str,
        limits: Limits,
        cuda: bool = False,
        hide: tuple[str, ...] = (),
        content: bytes | None = None,
        *,
        server: zygote.Zygote,
    ) -> None:
        self.file = Path(file).resolve()
        # The fork server this learner's workers come from: the run's, never one of its own.
        self.server = server
        # The program as the trusted side read it (no symlink followed): what the worker imports.
        self.content = content
        self.hide = hide
        self._uid: int | None = None
        self._cgroups: isolation.Cgroups | None = None
        self.module = module
        self.probes = probes
        self.limits = limits
        self.cuda = cuda
        self.started_at = time.monotonic()
        self.output_parts: list[str] = []
        self.lost: WorkerLost | None = None
        self._learner_ran = False  # the worker said it is importing the learner's file
        self._pid: int | None = None
        self._sock: socket.socket | None = None
        self._importing = False  # launched: the answer to the import is still to be read
        self._tmpdir: str | None = None

    def _remaining(self) -> float:
        return self.limits.exercise_seconds - (time.monotonic() - self.started_at)

    def _budget(self) -> float:
        remaining = self._remaining()
        if remaining <= 0:
            raise WorkerLost(
                "timeout",
                f"the exercise's time limit of {self.limits.exercise_seconds:g} s is used up",
            )
        return min(self.limits.call_seconds, remaining)

    def launch(self) -> None:
        """Start a worker that imports the learner's file, without waiting for it to be done.

        The run launches its workers, then imports pytest and the checks while they start;
        `start()` waits for the outcome. Nothing if a worker is already up.
        """
        if self._sock is not None:
            return
        self._tmpdir = tempfile.mkdtemp(prefix="grade-worker-")
        learner_modules.copy_beside(self.file, self._tmpdir)  # their own helpers.py imports
        config = {
            "file": isolation.copy_learner_file(self.file, self._tmpdir, self.content),
            "module": self.module,
            "probes": self.probes,
            "limits": self.limits.as_dict(),
            "tmpdir": self._tmpdir,
            "output_file": os.path.join(self._tmpdir, ".output"),
            "cuda": self.cuda,
        }
        kind, _ = isolation.mode()
        if kind == "root":
            self._uid = isolation.fresh_uid()
            self._cgroups = isolation.Cgroups.create(
                f"grader-{os.getpid()}-{self._uid}",
                self.limits.memory_bytes + 256 * 1024**2,
                self.limits.max_processes * 2,
            )
            config.update(
                uid=self._uid,
                cgroups=[str(p) for p in self._cgroups.paths] if self._cgroups else [],
            )
        if kind != "none":
            config.update(isolation=kind, hide=list(self.hide))
        self._learner_ran = False
        self._pid, self._sock = self.server.spawn(config)
        self._importing = True

    def start(self) -> None:
        """Start a worker and import the learner's file; ImportFailed or WorkerLost on failure."""
        self.launch()
        if not self._importing:
            return
        self._importing = False
        reply = self._receive(self._budget(), during="importing your file")
        if reply.get("importing") is True:  # sandbox up, from here on learner code runs
            self._learner_ran = True
            reply = self._receive(self._budget(), during="importing your file")
        if "import_error" in reply:
            self.close()
            raise ImportFailed(reply["import_error"])
        if reply.get("ready") is not True:
            raise self._protocol("it sent something other than 'ready' after importing your file")

    def probe(self, name: str, /, **kwargs: Any) -> Any:
        """Run trusted probe `name` on the learner's module in the worker; its plain result."""
        self.start()
        assert self._sock is not None  # start() leaves a channel or raises
        timeout = self._budget()
        try:
            codec.send_frame(self._sock, codec.encode({"probe": name, "kwargs": kwargs}))
        except OSError:
            self._lost_channel(f"calling {name}")
        reply = self._receive(timeout, during=f"running {name}")
        if "ok" in reply:
            return lift(reply["ok"])
        info = reply.get("raised")
        if type(info) is not dict:
            raise self._protocol("its answer has neither a value nor an exception")
        error = LearnerRaised(info)
        if error.is_a("NotImplementedError"):
            raise NotImplementedYet(error.message)
        if error.is_a("SystemExit") or error.is_a("KeyboardInterrupt"):
            raise self._lose("exit", f"your code called sys.exit({error.message}) while {name} ran")
        if error.is_a("MemoryError") or "can't allocate memory" in error.message:
            self.close()
            raise self._lose(
                "memory", f"ran out of memory while {name} ran ({error.message[:200]})"
            )
        raise error

    def _lose(self, reason: str, detail: str) -> WorkerLost:
        self.lost = WorkerLost(reason, detail)
        return self.lost

    def _protocol(self, detail: str) -> WorkerLost:
        """End a worker that broke the protocol: a verdict for the exercise, never a crash."""
        self.close()
        return self._lose(
            "protocol",
            f"the worker's answer could not be read as plain data: {codec.clip(detail, 300)}. "
            "Did your code change the grader's code in the worker?",
        )

    def _receive(self, timeout: float, during: str) -> dict:
        assert self._sock is not None
        self._sock.settimeout(timeout)
        try:
            payload = codec.recv_frame(self._sock)
        except TimeoutError:
            self.close()
            raise self._lose(
                "timeout",
                f"no answer within {timeout:.3g} s while {during} "
                "(an infinite loop, or far too much work?)",
            ) from None
        except (codec.ChannelClosed, OSError):
            self._lost_channel(during)
        except codec.CodecError as exc:
            raise self._protocol(f"{exc} (while {during})") from None
        if len(payload) > LARGE_ANSWER:
            # Earlier answers linger in reference cycles (a failed check's traceback holds its
            # frames); collected now, the grader holds about one large answer, not one per call.
            gc.collect()
        try:
            reply = codec.decode(payload)
        except codec.CodecError as exc:
            raise self._protocol(f"{exc} (while {during})") from None
        finally:
            del payload  # a large frame is not kept while its value is judged
        if type(reply) is not dict:
            raise self._protocol(f"its answer is not a message (while {during})")
        return reply

    def _lost_channel(self, during: str) -> None:
        pid = self._pid
        status = self.server.wait(pid, 2.0) if pid else None
        out_of_memory = self._cgroups is not None and self._cgroups.out_of_memory()
        self.close(reaped=status is not None)
        reason, detail = explain_status(status, self._learner_ran)
        if out_of_memory:
            reason, detail = (
                "memory",
                f"used more than {self.limits.memory_bytes // 1024**2} MiB of memory",
            )
        raise self._lose(reason, f"{detail}, while {during}")

    def close(self, reaped: bool = False) -> None:
        """End the worker and everything it started, collect its output, remove its folder."""
        if self._pid is not None:
            # The worker leads its own process group: this also ends what it started.
            for target in (-self._pid,) if reaped else (-self._pid, self._pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not reaped:
                try:
                    self.server.wait(self._pid, 2.0)
                except zygote.ZygoteError:
                    pass
        # Emptied and removed, the worker's groups held every process it started: the sweep of
        # its uid (a fork of the whole fork server) would find nothing left to end.
        emptied = self._cgroups is not None and self._cgroups.kill_all()
        if self._pid is not None:
            try:
                self.server.sweep(None if emptied else self._uid)
            except zygote.ZygoteError:
                pass
        if self._tmpdir is not None:
            self.output_parts.append(
                _read_output(os.path.join(self._tmpdir, ".output"), self.limits.output_bytes)
            )
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        self.release()  # all of it is ended by now

    def release(self) -> None:
        """Forget the worker without ending it: a forked job has taken it over and ends it.

        Only this process's end of its channel is closed; its folder and groups stay.
        """
        if self._sock is not None:
            self._sock.close()
        self._pid = self._sock = self._tmpdir = self._cgroups = self._uid = None
        self._importing = False

    def output(self) -> str:
        """What the learner's code printed, truncated to the output limit."""
        text = "".join(self.output_parts)
        limit = self.limits.output_bytes
        return (
            text
            if len(text) <= limit
            else text[:limit] + f"\n[... output beyond {limit} bytes dropped]"
        )


def _read_output(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return ""
    text = data[:limit].decode("utf-8", errors="replace")
    return text + (f"\n[... output beyond {limit} bytes dropped]" if len(data) > limit else "")
