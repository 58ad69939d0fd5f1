"""`grade class --dask ADDRESS`: each student graded as one task on a Dask distributed cluster.

Dask is an optional extra (`pip install '.[cluster]'`), imported only here and only when asked for.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.classroom import ClassError, grade_workspace, learner_files

INSTALL_CLUSTER = "install the cluster extra: pip install '.[cluster]'"
_one_at_a_time = threading.Lock()


def _relocated(value: Any, old: str, new: str) -> Any:
    """`value` with the path `old` written as `new` in every string (a worker's copy -> origin)."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_relocated(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _relocated(v, old, new) for k, v in value.items()}
    return value


def grade_remote(origin: str, files: dict[str, bytes], config: dict[str, Any]) -> dict:
    """A Dask task: grade a copy of one student's files on this worker; the JSON result dict.

    The files travel with the task, so workers need no shared file system; one student at a
    time per worker process (pytest runs the checks in-process).
    """
    with _one_at_a_time, tempfile.TemporaryDirectory(prefix="grade-class-") as tmp:
        os.environ.pop("GRADE_CHECKS", None)
        if config["checks_root"]:  # the private checks folder of the class's teacher
            os.environ["GRADE_CHECKS"] = config["checks_root"]
        workspace = (Path(tmp) / "workspace").resolve()
        workspace.mkdir()
        for name, data in files.items():
            if name == Path(name).name and name.endswith(".py") and not name.startswith("."):
                (workspace / name).write_bytes(data)
        return _relocated(grade_workspace(workspace, config), str(workspace), origin)


def on_cluster(
    address: str,
    todo: list[str],
    submissions: Path,
    config: dict[str, Any],
    finish: Callable[[str, dict | None], None],
) -> dict[str, dict | None]:
    """Grade each student as one task on the Dask cluster at `address`, storing each as it ends."""
    try:
        from distributed import Client, as_completed
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
            workspace = submissions / student
            files = {
                p.name: p.read_bytes() for p in learner_files(workspace) if os.access(p, os.R_OK)
            }
            origin = str(workspace.resolve())
            futures[client.submit(grade_remote, origin, files, config, pure=False)] = student
        for future in as_completed(futures):
            student = futures[future]
            try:
                data = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost task costs this student only
                data = {
                    "class_error": f"the cluster could not grade it: {type(exc).__name__}: {exc}"
                }
            graded[student] = data
            finish(student, data)
    return graded
