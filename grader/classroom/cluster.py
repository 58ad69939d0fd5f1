"""`grade class --dask ADDRESS`: each student graded as one task on a Dask distributed cluster.

Dask is an optional extra (`pip install '.[cluster]'`), imported only here and only when asked for.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader import course, nofollow
from grader.classroom.copies import relocated
from grader.classroom.model import ClassError
from grader.classroom.workspace import grade_workspace, learner_files

INSTALL_CLUSTER = "install the cluster extra: pip install '.[cluster]'"
_one_at_a_time = threading.Lock()
POLL_SECONDS = 1.0


def grade_remote(origin: str, files: dict[str, bytes], config: dict[str, Any]) -> dict:
    """A Dask task: grade a copy of one student's files on this worker; the JSON result dict.

    The files travel with the task, so workers need no shared file system; one student at a
    time per worker process (pytest runs the checks in-process).
    """
    # The course of the class's teacher (a private checks folder, or the shipped exercises).
    taught = course.Course.layered(config["checks_root"])
    with _one_at_a_time, course.using(taught), tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workspace = (Path(tmp) / "workspace").resolve()
        workspace.mkdir()
        for name, data in files.items():
            plain = name == Path(name).name and not name.startswith(".")
            if plain and name.endswith((".py", ".ipynb")):
                (workspace / name).write_bytes(data)
        return relocated(grade_workspace(workspace, config), str(workspace), origin)


def on_cluster(
    address: str,
    todo: list[str],
    folders: dict[str, Path],
    config: dict[str, Any],
    finish: Callable[[str, dict | None], None],
    wait: float = 120.0,
) -> dict[str, dict | None]:
    """Grade each student as one task on the Dask cluster at `address`, storing each as it ends.

    Each result is released as soon as it is stored, so losing the worker that computed it
    never makes Dask compute (grade) it again. A cluster with no worker for `wait` seconds
    ends the run with ClassError; the students stored so far are kept (rerun to resume).
    """
    try:
        from distributed import Client
        from distributed import wait as settle
    except ImportError:
        raise ClassError(f"--dask needs Dask: {INSTALL_CLUSTER}") from None
    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClassError(f"cannot reach the Dask scheduler at {address!r}: {exc}") from None
    graded: dict[str, dict | None] = {}
    with client:
        futures = {}
        for student in todo:
            workspace = folders[student]
            files = {}
            for path in learner_files(workspace):
                try:  # never through a symlink (the grader there reports the file as missing)
                    files[path.name] = nofollow.read_bytes(path)
                except OSError:
                    continue
            origin = str(Path(workspace).resolve())
            futures[client.submit(grade_remote, origin, files, config, pure=False)] = student
        idle_since: float | None = None
        while futures:
            try:
                done, _ = settle(list(futures), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            for future in done:
                student = futures.pop(future)
                try:
                    data = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost task costs this student only
                    data = {
                        "class_error": f"the cluster could not grade it: {type(exc).__name__}: {exc}"
                    }
                future.release()
                graded[student] = data
                finish(student, data)
            idle_since = _idle_since(client, idle_since)
            if idle_since is not None and time.monotonic() - idle_since > wait:
                for future in futures:
                    future.cancel()
                raise ClassError(
                    f"the Dask cluster at {address!r} has had no worker for {wait:g} s "
                    f"({len(graded)} of {len(todo)} students graded and kept). Start workers, "
                    "then run the same command again to grade the rest (--dask-wait SECONDS "
                    "sets how long to wait)."
                )
    return graded


def _idle_since(client: Any, since: float | None) -> float | None:
    """When the cluster was first seen without workers (None while it has some)."""
    try:
        workers = len(client.nthreads())
    except Exception:  # noqa: BLE001 - an unreachable scheduler counts as no worker
        workers = 0
    if workers:
        return None
    return since if since is not None else time.monotonic()
