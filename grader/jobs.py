"""Parallel grading: exercises handed out one at a time to grading processes forked from this one.

Each job is a fork of the trusted grader (never of learner code), with its own channel to the
fork server; results come back as the documented JSON form. A job that dies takes only the
exercise it was grading with it, which is then reported as an error.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
from collections.abc import Callable
from dataclasses import asdict

from grader.catalog import Exercise
from grader.results import ExerciseResult, exercise_from_dict
from grader.sandbox import codec, zygote

Batch = Callable[[list[Exercise]], dict[str, ExerciseResult]]


def _job(
    channel: socket.socket,
    server_channel: socket.socket,
    grade_batch: Batch,
    by_id: dict[str, Exercise],
) -> None:
    """Body of a forked job: grade each exercise id received until told to stop."""
    import torch

    zygote.adopt(server_channel)
    torch.set_num_threads(1)  # also keeps a fork of a process that computed away from OpenMP
    while True:
        exercise_id = json.loads(codec.recv_frame(channel))
        if exercise_id is None:
            return
        verdict = grade_batch([by_id[exercise_id]])[exercise_id]
        codec.send_frame(channel, json.dumps(asdict(verdict)).encode())


def _start(grade_batch: Batch, by_id: dict[str, Exercise]) -> tuple[int, socket.socket]:
    server_channel = zygote.get().attach()
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            ours.close()
            _job(theirs, server_channel, grade_batch, by_id)
        except BaseException:  # noqa: BLE001 - a job ends through os._exit only
            status = 1
        finally:
            os._exit(status)
    theirs.close()
    server_channel.close()
    return pid, ours


def _lost(exercise: Exercise) -> ExerciseResult:
    return ExerciseResult(
        id=exercise.id,
        title=exercise.title.get("en", exercise.id),
        status="error",
        reason="internal: the grading process for this exercise died",
        max_score=exercise.max_score,
    )


def run_in_jobs(
    exercises: list[Exercise], grade_batch: Batch, jobs: int
) -> dict[str, ExerciseResult]:
    """Grade `exercises` in up to `jobs` forked processes; verdicts by exercise id."""
    by_id = {e.id: e for e in exercises}
    queue = [e.id for e in exercises]
    verdicts: dict[str, ExerciseResult] = {}
    busy: dict[socket.socket, tuple[int, str | None]] = {}
    selector = selectors.DefaultSelector()
    for _ in range(min(jobs, len(queue))):
        pid, channel = _start(grade_batch, by_id)
        selector.register(channel, selectors.EVENT_READ)
        busy[channel] = (pid, None)
        _hand_out(channel, queue, busy)
    while selector.get_map():
        for key, _ in selector.select():
            channel = key.fileobj
            pid, current = busy[channel]
            try:
                verdicts[current] = exercise_from_dict(json.loads(codec.recv_frame(channel)))
            except (codec.ChannelClosed, codec.CodecError, OSError, ValueError, TypeError):
                verdicts[current] = _lost(by_id[current])
                selector.unregister(channel)
                channel.close()
                os.waitpid(pid, 0)
                continue
            if not _hand_out(channel, queue, busy):
                selector.unregister(channel)
                channel.close()
                os.waitpid(pid, 0)
    return verdicts


def _hand_out(channel: socket.socket, queue: list[str], busy: dict) -> bool:
    """Send the next exercise id (or the stop signal); whether the job got work."""
    pid, _ = busy[channel]
    following = queue.pop(0) if queue else None
    busy[channel] = (pid, following)
    try:
        codec.send_frame(channel, json.dumps(following).encode())
    except OSError:
        return following is not None
    return following is not None
