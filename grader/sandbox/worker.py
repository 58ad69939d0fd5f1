"""The untrusted side: a process that imports one learner file and answers probe requests.

Everything here runs in a process that learner code controls once it is imported, so nothing
it sends back is believed: the trusted side decodes answers strictly and judges them itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

from grader.sandbox import codec, limits


def _learner_frames(exc: BaseException, learner_file: str) -> tuple[int | None, str]:
    """The last line of the learner's file in the traceback, and a traceback of their frames."""
    frames = traceback.extract_tb(exc.__traceback__, limit=-200)  # unbounded recursion: the end
    mine = [f for f in frames if f.filename == learner_file]
    line = mine[-1].lineno if mine else None
    text = "".join(traceback.format_list(mine)) if mine else ""
    return line, text[-4000:]


def describe_exception(exc: BaseException, learner_file: str) -> dict:
    """An exception as plain data: type, base classes, message, learner line.

    Every string is cut here (a class can be named with 25 MB) so that an honest answer stays
    small; the grader cuts them again, since this process is the learner's.
    """
    try:
        line, text = _learner_frames(exc, learner_file)
        if isinstance(exc, SyntaxError) and exc.filename == learner_file:
            line = exc.lineno
    except BaseException:  # noqa: BLE001 - a hostile traceback or filename
        line, text = None, ""
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "<message could not be read>"
    kind = type(exc)
    return {
        "type": codec.clip(str(kind.__name__), codec.MAX_NAME),
        "bases": [
            codec.clip(str(k.__name__), codec.MAX_NAME)
            for k in kind.__mro__[:40]
            if k.__module__ == "builtins"
        ],
        "message": message,
        "line": line if type(line) is int else None,
        "traceback": str(text)[-4000:],
    }


def _import_learner(path: str, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # a path always has a source loader; for mypy
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _reply(sock: socket.socket, message: dict) -> None:
    try:
        payload = codec.encode(message)
    except Exception as exc:  # noqa: BLE001 - e.g. a tensor dtype that cannot travel
        payload = codec.encode(
            {
                "raised": {
                    "type": "CodecError",
                    "bases": [],
                    "message": f"the answer could not be serialised: {exc}"[:500],
                    "line": None,
                    "traceback": "",
                }
            }
        )
    codec.send_frame(sock, payload)


def load_probes(config: dict) -> Any:
    """The trusted probes module, loaded before isolation hides where it lives."""
    if config["probes"].endswith(".py"):  # an instructor's private probes file
        return _import_learner(config["probes"], "private_probes")
    return importlib.import_module(config["probes"])


def serve(sock: socket.socket, config: dict, probes: Any) -> None:
    """Import the learner's file, then answer requests until the channel closes."""
    learner_file = config["file"]
    prefixes = (sys.prefix, sys.base_prefix)
    sys.path[:] = [str(Path(learner_file).parent)] + [
        p for p in sys.path if p and p.startswith(prefixes)
    ]
    # From here on the process runs learner code: an exit status is theirs, not the sandbox's.
    _reply(sock, {"importing": True})
    try:
        module = _import_learner(learner_file, config["module"])
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
        _reply(sock, {"import_error": describe_exception(exc, learner_file)})
        return
    _reply(sock, {"ready": True})
    while True:
        try:
            request = codec.decode(codec.recv_frame(sock))
        except codec.ChannelClosed:
            return
        probe = getattr(probes, "probe_" + request["probe"])
        try:
            value = probe(module, **request["kwargs"])
        except BaseException as exc:  # noqa: BLE001 - report everything the learner raised
            _reply(sock, {"raised": describe_exception(exc, learner_file)})
            continue
        _reply(sock, {"ok": codec.to_plain(value)})


INTERNAL_FAILURE = 86  # exit status of a worker whose own (trusted) start-up failed


def main(fd: int, config: dict) -> None:
    """Entry point in the freshly forked worker; never returns."""
    status = 0
    try:
        # Inherited descriptors (the grader's files, pytest's capture) are not the learner's.
        os.closerange(3, fd)
        os.closerange(fd + 1, 1 << 16)
        sock = socket.socket(fileno=fd)
        probes = load_probes(config)
        limits.enter(config)
        serve(sock, config, probes)
    except BaseException:  # noqa: BLE001 - the worker must end through os._exit only
        status = INTERNAL_FAILURE
        try:
            traceback.print_exc()  # into the captured output, for whoever debugs the sandbox
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(status)
