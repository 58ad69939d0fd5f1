"""Handing a class's students to grading jobs: progress, and a Ctrl-C that stops everything.

Local jobs are forks of this process (`grader.engine.jobs`); the Dask route is `classroom_cluster`.
A student's results are stored where they were graded, the moment they are done, so an
interruption loses only the students in progress; those are never stored half-graded.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.sandbox import zygote

Finish = Callable[[str, "dict | None"], None]
GRACE_SECONDS = 3.0


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped the class run; every job was stopped first.

    Cause: the instructor interrupted it. Remedy: run the same command again: students already
    written are kept and only the rest are graded.
    """

    def __init__(self, done: int = 0, total: int = 0) -> None:
        super().__init__(f"interrupted: {done} of {total} students graded")
        self.done, self.total = done, total


class Progress:
    """Students done / total, elapsed time and an estimate of what is left, one line each."""

    def __init__(self, total: int, echo: Callable[[str], None] | None, lang: str) -> None:
        self.total, self.done, self.echo, self.lang = total, 0, echo, lang
        self.started = time.monotonic()

    def line(self, student: str, data: dict | None) -> str:
        """The progress line after `student` finished with `data` (None: grading died)."""
        from grader.classroom.report import points, say
        from grader.results import strip_control

        self.done += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        counts = {"done": self.done, "total": self.total, "elapsed": round(elapsed)}
        name = strip_control(student)
        if data is None or "class_error" in data:
            why = "" if data is None else str(data["class_error"])
            return say("progress_failed", self.lang, student=name, why=why, **counts)
        shown = {"score": points(data["score"]), "max": points(data["max_score"])}
        return say("progress_eta", self.lang, student=name, left=round(left), **counts, **shown)

    def __call__(self, student: str, data: dict | None) -> None:
        text = self.line(student, data)
        if self.echo:
            self.echo(text)


def children(parent: int | None = None) -> list[int]:
    """Pids of the processes whose parent is `parent` (default: this process)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(name))
    return found


def stop_jobs(spare: set[int]) -> None:
    """Interrupt every child process but `spare` (the fork server), then kill what is left.

    A job interrupted this way closes its learners' workers and stores nothing.
    """
    jobs = [pid for pid in children() if pid not in spare]
    for pid in jobs:
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            pass
    deadline = time.monotonic() + GRACE_SECONDS
    while jobs and time.monotonic() < deadline:
        jobs = [pid for pid in jobs if not _reaped(pid)]
        time.sleep(0.05)
    for pid in jobs:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass


def _reaped(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


_stopped = False


def _stop_job(signum: int, frame: object) -> None:
    """Ctrl-C in a grading job: stop at once, store nothing, keep pytest's complaints quiet."""
    global _stopped
    _stopped = True
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    raise KeyboardInterrupt


def locally(
    todo: list[str],
    folders: dict[str, Path],
    config: dict[str, Any],
    jobs: int,
    finish: Finish,
    progress: Finish,
    server: zygote.Zygote,
) -> dict[str, dict | None]:
    """Grade `todo` in forked jobs, each storing its students; Interrupted on Ctrl-C.

    Every job forks its workers from `server`, kept warm across the students.
    """
    from grader.classroom.workspace import grade_workspace
    from grader.engine.jobs import run_in_jobs

    def work(student: str) -> dict:
        signal.signal(signal.SIGINT, _stop_job)
        signal.signal(signal.SIGTERM, _stop_job)
        try:
            data = grade_workspace(folders[student], config, server)
            if _stopped:  # pytest may have swallowed the interrupt: the verdicts are partial
                raise KeyboardInterrupt
            finish(student, data)
        except Exception as exc:  # noqa: BLE001 - a grader bug costs this student, not the job
            return {"class_error": f"internal: {type(exc).__name__}: {exc}"}
        return data

    done: dict[str, dict | None] = {}
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while waiting := [s for s in todo if s not in done]:
            # Items left in the queue when every job has died were never handed out: again.
            done |= run_in_jobs(waiting, work, jobs, on_done=progress, server=server)
    except KeyboardInterrupt:
        stop_jobs({server.pid})
        raise Interrupted() from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    return done


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
