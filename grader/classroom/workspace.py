"""One student's workspace: its files, their content hash, and grading it (locally or on Dask).

Imported by the local jobs (`dispatch`), the Dask tasks (`cluster`) and the orchestrator
(`grading`); it imports only `model` and `copies` from this package.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from grader import catalog, nofollow, results
from grader.classroom import copies
from grader.classroom.model import ClassOptions
from grader.sandbox.limits import Limits


def learner_files(workspace: Path) -> list[Path]:
    """The student's Python files and notebooks at the top of their workspace, sorted by name."""
    found = [*Path(workspace).glob("*.py"), *Path(workspace).glob("*.ipynb")]
    return sorted(p for p in found if p.is_file())


def content_hash(workspace: Path) -> str:
    """sha256 over the sorted names and bytes of the workspace's *.py and *.ipynb files."""
    digest = hashlib.sha256()
    for path in learner_files(workspace):
        name = path.name.encode("utf-8", "surrogateescape")
        digest.update(b"N" + len(name).to_bytes(8, "big") + name)
        try:  # never through a symlink: a link to a classmate's file is not its content
            digest.update(b"D" + nofollow.read_bytes(path))
        except OSError as exc:
            digest.update(f"unreadable: {exc.strerror or exc}".encode())
        digest.update(b"E")
    return digest.hexdigest()


def grade_config(options: ClassOptions) -> dict[str, Any]:
    """The per-student settings as plain data (what a Dask task receives)."""
    root = catalog.checks_root()
    return {
        "exercises": [e.id for e in options.exercises],
        "device": options.device,
        "seed": options.seed,
        "seed_private": options.seed_private,
        "max_examples": options.max_examples,
        "limits": options.limits.as_dict(),
        "lang": options.lang,
        "checks_root": str(root) if root else None,
        "hide": [str(Path(options.submissions).resolve()), str(Path(options.out).resolve())],
    }


def grade_workspace(workspace: Path, config: dict[str, Any], server: Any = None) -> dict:
    """Grade every configured exercise of one workspace (one at a time); the JSON result dict.

    `server` is the class's fork server (a `zygote.Zygote`); None: the process's shared one.
    An exercise file this process graded before, byte for byte and with the same helpers, is
    given that verdict again instead (`copies`).
    """
    from grader.engine.run import RunOptions, grade

    started = time.monotonic()
    workspace = Path(workspace)
    exercises = tuple(catalog.find(i) for i in config["exercises"])
    keys = {e.id: copies.key(workspace, e, config) for e in exercises}
    reused = {e.id: v for e in exercises if (v := copies.recall(keys[e.id], workspace))}
    todo = tuple(e for e in exercises if e.id not in reused)
    data = copies.frame(config) if not todo else None
    if data is None:
        options = RunOptions(
            workspace=workspace,
            exercises=todo or exercises,
            limits=Limits(**config["limits"]),
            hide=tuple(Path(p) for p in config["hide"]),
            seed_private=bool(config.get("seed_private")),
            server=server,
            **{key: config[key] for key in ("device", "seed", "max_examples", "lang")},
        )
        data = results.to_dict(grade(options))
        for verdict in data["exercises"]:
            copies.keep(keys.get(verdict["id"]), workspace, verdict)
        if all(keys.values()):  # no notebook: the run's notes are the class's, not the student's
            copies.keep_frame(config, data)
    if not reused:
        return data
    graded = {verdict["id"]: verdict for verdict in data.get("exercises", [])}
    run = results.from_dict(
        data
        | {
            "exercises": [graded.get(e.id) or reused[e.id] for e in exercises],
            "duration": round(time.monotonic() - started, 3),
        }
    )
    return results.to_dict(run)
