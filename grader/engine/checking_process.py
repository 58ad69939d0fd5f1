"""The checking process: a run's checks, in a process forked from the fork server.

The server is a fresh interpreter that imported torch and nothing of the grader's; forked from
it, this process shares that torch by copy-on-write, so a run imports torch once (the
command-line process imports none): the memory and the CPU of a second import are saved, which
is what lets a run fit a 768 MB container and one CPU. It is trusted: it receives the run (the
options, the files as read, the grader's environment) from the command-line process over its
own channel, after the fork, so none of it is ever in the server, and workers are forked from
the server, never from here. It reaches the server over a channel of its own (as a job does)
and answers with the verdicts as JSON.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import struct
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from grader.sandbox import isolation

if TYPE_CHECKING:
    from grader.engine.run import RunOptions
    from grader.results import ExerciseResult
    from grader.sandbox import zygote
    from grader.source import SourceFacts


_HEADER = struct.Struct("!Q")
INTERNAL = "internal_error"  # the reply's key for a grader bug (never an exercise id)


class CheckingProcessError(RuntimeError):
    """The checking process failed (a bug in the grader, not the learner's code): its traceback."""


def _send(sock: socket.socket, payload: bytes) -> None:
    """One length-prefixed frame (the wire codec imports torch: the grader must not)."""
    sock.sendall(_HEADER.pack(len(payload)))
    sock.sendall(payload)


def _receive(sock: socket.socket) -> bytes:
    """One length-prefixed frame; EOFError if the other side ended first."""

    def exactly(size: int) -> bytes:
        parts, left = [], size
        while left:
            part = sock.recv(min(left, 1 << 20))
            if not part:
                raise EOFError("the other side closed the channel")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    (size,) = _HEADER.unpack(exactly(_HEADER.size))
    return exactly(size)


# The body of the checking process, named for the fork server (which imports nothing of the
# engine): `run.serve_checks` hands its `check_here` to `serve` below.
ENTRY = "grader.engine.run:serve_checks"


def serve(
    fd: int,
    server_channel: socket.socket,
    server_pid: int,
    check_here: Callable[
        [RunOptions, list, dict[str, SourceFacts], zygote.Zygote], dict[str, ExerciseResult]
    ],
) -> None:
    """Body of the checking process (in the fork server's child): serve one run, then end."""
    from grader import catalog, course
    from grader.sandbox import zygote

    isolation.die_with_parent(server_pid)  # the server ends with the grader: so does this
    isolation.protect_grader()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle
    channel = socket.socket(fileno=fd)
    # Trusted data from the trusted grader, over a channel no worker ever holds.
    request = pickle.loads(_receive(channel))  # noqa: S301
    os.environ.clear()
    os.environ.update(request["environ"])
    sys.path[:] = request["path"]
    os.chdir(request["cwd"])
    course.use(request["course"])  # the grader's course (a private layer), not the default
    catalog.adopt(request["catalogs"])  # as the grader parsed them: not parsed again
    isolation.adopt_mode(request["isolation"])  # as the grader probed it: not probed again
    server = zygote.Zygote(tuple(request["preload"]), start=False)
    server.adopt(server_channel)
    server.pid = server_pid
    options: RunOptions = replace(request["options"], server=server)
    by_id = {e.id: e for e in options.exercises}
    todo = [by_id[i] for i in request["todo"]]
    try:
        verdicts = check_here(options, todo, request["facts"], server)
    except Exception:  # a grader bug: the grader reports it as its own, with this traceback
        _send(channel, json.dumps({INTERNAL: traceback.format_exc()}).encode())
        return
    _send(channel, json.dumps({k: asdict(v) for k, v in verdicts.items()}).encode())


def check(
    options: RunOptions,
    todo: list,
    facts_of: dict[str, SourceFacts],
    server: zygote.Zygote,
) -> dict[str, ExerciseResult] | None:
    """Run `todo`'s checks in a checking process forked from `server`; None if it died."""
    from grader import catalog, course
    from grader.results import exercise_from_dict

    request = {
        "course": course.current(),
        "catalogs": catalog.parsed(),
        "isolation": isolation.mode(),
        "environ": dict(os.environ),
        "path": list(sys.path),
        "cwd": os.getcwd(),
        "preload": sorted(server.preload),
        "options": replace(options, server=None, surveyed=None),
        "todo": [e.id for e in todo],
        "facts": {e.id: facts_of[e.id] for e in todo if e.id in facts_of},
    }
    channel = server.fork_trusted(ENTRY)
    try:
        _send(channel, pickle.dumps(request))
        data = json.loads(_receive(channel))
    except (EOFError, OSError, ValueError):
        return None
    finally:
        channel.close()
    if INTERNAL in data:
        raise CheckingProcessError(f"in the checking process:\n{data[INTERNAL]}")
    return {exercise_id: exercise_from_dict(done) for exercise_id, done in data.items()}
