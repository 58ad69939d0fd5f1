"""Parallel work: items handed out one at a time to processes forked from this trusted one.

Used to grade exercises (and a class's students) in parallel. Each job is a fork of the grader
(never of learner code) with its own channel to the run's fork server (the `server` handed in,
which the job's work uses); results come back as JSON.
A job that dies loses only the item it was working on, reported as None.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import cast

from grader import collector
from grader.sandbox import codec, isolation, pages, zygote

Work = Callable[[str], dict]


@contextmanager
def lifelong_imports() -> Iterator[None]:
    """Imports (torch) that this process keeps for life and the jobs it forks share.

    Made as the fork server makes them: with the collector paused, and frozen before it runs
    again (collector.py); then the pages of their libraries that the import read once go back
    (sandbox/pages.py). In a fork of a process that did this already, only the imports run.
    """
    with collector.paused(freeze=True):
        yield
    pages.release_once()


def _job(
    channel: socket.socket,
    server: zygote.Zygote | None,
    server_channel: socket.socket | None,
    work: Work,
) -> None:
    """Body of a forked job: do the work for each item received until told to stop."""
    import torch

    if server is not None and server_channel is not None:
        server.adopt(server_channel)  # this process's copy of the run's handle, its own channel
    torch.set_num_threads(1)  # also keeps a fork of a process that computed away from OpenMP
    while True:
        item = json.loads(codec.recv_frame(channel))
        if item is None:
            return
        codec.send_frame(channel, json.dumps(work(item)).encode())


def _start(work: Work, server: zygote.Zygote | None) -> tuple[int, socket.socket]:
    server_channel = server.attach() if server is not None else None
    ours, theirs = socket.socketpair()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            ours.close()
            isolation.die_with_parent(parent)  # a killed grader leaves no job grading on
            _job(theirs, server, server_channel, work)
        except BaseException:  # noqa: BLE001 - a job ends through os._exit only
            status = 1
        finally:
            os._exit(status)
    theirs.close()
    if server_channel is not None:
        server_channel.close()
    return pid, ours


def run_in_jobs(
    items: list[str],
    work: Work,
    jobs: int,
    on_done: Callable[[str, dict | None], None] | None = None,
    server: zygote.Zygote | None = None,
) -> dict[str, dict | None]:
    """`work(item)` for every item in up to `jobs` forked processes; None where a job died.

    A job that dies is replaced while items remain, so only the item it held is lost;
    `on_done(item, result)` is called in this process as each item finishes (for progress).
    `server` is the fork server `work` starts its workers from: each job reaches it over a
    channel of its own (a job that used the grader's channel would garble the grader's).
    """
    queue = list(items)
    done: dict[str, dict | None] = {}
    busy: dict[socket.socket, tuple[int, str | None]] = {}
    selector = selectors.DefaultSelector()

    def launch() -> None:
        pid, channel = _start(work, server)
        selector.register(channel, selectors.EVENT_READ)
        busy[channel] = (pid, None)
        try:
            _hand_out(channel, queue, busy)
        except OSError:
            pass  # the job died at once: its item is reported when its channel closes

    # Imported once here, torch is shared by every forked job (copy-on-write) instead of imported
    # and held by each; frozen, the objects so far are never written by the jobs' collections.
    with lifelong_imports():
        import torch  # noqa: F401
    for _ in range(min(jobs, len(queue))):
        launch()
    while selector.get_map():
        for key, _ in selector.select():
            channel = cast(socket.socket, key.fileobj)  # only job channels are registered
            pid, current = busy[channel]
            # _hand_out unregisters a channel as it sends the stop signal: a readable one holds an item
            assert current is not None
            died = False
            try:
                done[current] = json.loads(codec.recv_frame(channel))
            except (codec.ChannelClosed, codec.CodecError, OSError, ValueError):
                done[current], died = None, True
            if on_done is not None and current is not None:
                on_done(current, done[current])
            more = False
            if not died:
                try:
                    more = _hand_out(channel, queue, busy)
                except OSError:
                    died = True
            if not more:
                selector.unregister(channel)
                channel.close()
                os.waitpid(pid, 0)
            if died and queue:
                launch()
    return done


def _hand_out(channel: socket.socket, queue: list[str], busy: dict) -> bool:
    """Send the next item (or the stop signal); whether the job got work."""
    pid, _ = busy[channel]
    following = queue.pop(0) if queue else None
    busy[channel] = (pid, following)
    codec.send_frame(channel, json.dumps(following).encode())
    return following is not None
