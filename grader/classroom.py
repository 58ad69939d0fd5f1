"""Grading a whole class: every student's workspace, in parallel, resumable, with a gradebook.

Each sub-folder of the submissions folder is one student's workspace (named by the student id);
results land in `OUT/students/<id>/`, and `OUT/state.json` keeps a content hash per student so
that a new run grades only what changed or was not reached (`classroom_report` does the rest).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__, catalog, results
from grader.catalog import Exercise
from grader.report.command import read_sources, write_reports
from grader.results import RunResult, strip_control
from grader.sandbox.limits import Limits

STATE_FILE = "state.json"
STATE_VERSION = 1
_LOCK_FILE = ".state.lock"
_CHUNK = 1 << 20


class ClassError(Exception):
    """The class cannot be graded as asked (bad folders, missing Dask, unreachable cluster).

    Cause: the message names the path or address. Remedy: fix the command line (the CLI turns
    this into a usage error, exit status 2).
    """


@dataclass(frozen=True)
class ClassOptions:
    """How to grade a class; the per-student settings are those of `grade check`."""

    submissions: Path
    out: Path
    exercises: tuple[Exercise, ...]
    device: str = "all"
    seed: int = 0
    max_examples: int = 20
    limits: Limits = field(default_factory=Limits)
    lang: str = "en"
    jobs: int = 1
    dask: str | None = None

    def __post_init__(self) -> None:
        if not self.exercises:
            raise ValueError("no exercises to grade")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs!r}")


@dataclass
class Student:
    """One student's row: the run (None when they could not be graded), quiz and content hash."""

    id: str
    digest: str
    run: RunResult | None = None
    quiz: dict[str, tuple[float, float]] = field(default_factory=dict)
    error: str = ""
    reused: bool = False


@dataclass
class ClassResult:
    """A whole class: one row per student, in id order."""

    options: ClassOptions
    students: list[Student]

    @property
    def complete(self) -> bool:
        """Whether every student could be graded (failing exercises included)."""
        return all(s.run is not None for s in self.students)


def student_ids(submissions: Path) -> list[str]:
    """The students: every sub-folder that is not hidden, sorted by name."""
    return sorted(
        p.name for p in Path(submissions).iterdir() if p.is_dir() and not p.name.startswith(".")
    )


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
        try:
            with path.open("rb") as handle:
                digest.update(b"D")
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        except OSError as exc:
            digest.update(f"unreadable: {exc.strerror}".encode())
        digest.update(b"E")
    return digest.hexdigest()


def settings(options: ClassOptions) -> dict[str, Any]:
    """What the verdicts depend on besides the files: a change means every student is re-graded."""
    known = {k: v for k, v in grade_config(options).items() if k != "hide"}
    checks = {"catalog": str(catalog.catalog_path()), "checks": str(catalog.checks_dir())}
    return known | checks | {"grader_version": __version__}


def student_dir(out: Path, student: str) -> Path:
    """Where a student's results and report are written."""
    return Path(out) / "students" / student


def read_state(out: Path) -> dict[str, Any]:
    """The state file's contents, or an empty state when it is missing or unreadable."""
    try:
        data = json.loads((Path(out) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("schema_version") == STATE_VERSION else {}


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the class's state lock (jobs in several processes record students at once)."""
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / _LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield


def record(out: Path, known: dict[str, Any], student: str, digest: str) -> None:
    """Remember that `student`'s files with this hash are graded (atomically, under the lock)."""
    with _locked(out):
        state = read_state(out)
        if state.get("settings") != known:
            state = {"schema_version": STATE_VERSION, "settings": known, "students": {}}
        state["students"][student] = digest
        results.write_atomic(Path(out) / STATE_FILE, json.dumps(state, indent=2, sort_keys=True))


def store(out: Path, student: str, workspace: Path, data: dict, lang: str) -> RunResult:
    """Write a graded student's results.json and report.html; the run they hold."""
    run = results.from_dict(data)
    folder = student_dir(out, student)
    results.write_atomic(folder / "results.json", results.to_json(run))
    write_reports(run, html=folder / "report.html", lang=lang, sources=read_sources(workspace, run))
    return run


def previous(out: Path, student: str) -> RunResult | None:
    """A student's stored results, or None when missing or unreadable."""
    try:
        text = (student_dir(out, student) / "results.json").read_text(encoding="utf-8")
        return results.from_dict(json.loads(text))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def grade_config(options: ClassOptions) -> dict[str, Any]:
    """The per-student settings as plain data (what a Dask task receives)."""
    root = catalog.checks_root()
    return {
        "exercises": [e.id for e in options.exercises],
        "device": options.device,
        "seed": options.seed,
        "max_examples": options.max_examples,
        "limits": options.limits.as_dict(),
        "lang": options.lang,
        "checks_root": str(root) if root else None,
        "hide": [str(Path(options.submissions).resolve()), str(Path(options.out).resolve())],
    }


def grade_workspace(workspace: Path, config: dict[str, Any]) -> dict:
    """Grade every configured exercise of one workspace (one at a time); the JSON result dict."""
    from grader.run import RunOptions, grade

    options = RunOptions(
        workspace=Path(workspace),
        exercises=tuple(catalog.find(i) for i in config["exercises"]),
        limits=Limits(**config["limits"]),
        hide=tuple(Path(p) for p in config["hide"]),
        **{key: config[key] for key in ("device", "seed", "max_examples", "lang")},
    )
    return results.to_dict(grade(options))


def _check_folders(options: ClassOptions) -> list[str]:
    """The students to grade; ClassError when the folders are not usable."""
    submissions = Path(options.submissions)
    if not submissions.is_dir():
        raise ClassError(f"{str(submissions)!r} is not a folder of submissions.")
    ids = student_ids(submissions)
    if not ids:
        raise ClassError(f"{str(submissions)!r} has no student folders (one sub-folder each).")
    where, out = submissions.resolve(), Path(options.out).resolve()
    if out == where or where in out.parents:
        raise ClassError(f"--out {str(options.out)!r} must not be inside {str(submissions)!r}.")
    if (out / "students") == where or (out / "students") in where.parents:
        raise ClassError(f"{str(submissions)!r} must not be inside {str(out / 'students')!r}.")
    return ids


def grade_class(
    options: ClassOptions, only: list[str] | None = None, echo: Callable[[str], None] | None = None
) -> ClassResult:
    """Grade the class (or the students in `only`), reusing unchanged students; write every file.

    Never raises for anything a student wrote: a student who cannot be graded is an error row.
    """
    from grader import classroom_report
    from grader.classroom_report import points, say
    from grader.sandbox import zygote

    ids = _check_folders(options)
    zygote.get()
    if only is not None:
        ids = [i for i in ids if i in set(only)]
    submissions, out = Path(options.submissions), Path(options.out)
    known = settings(options)
    state = read_state(out)
    done = state.get("students", {}) if state.get("settings") == known else {}
    rows = {i: Student(id=i, digest=content_hash(submissions / i)) for i in ids}
    todo = []
    for row in rows.values():
        row.run = previous(out, row.id) if done.get(row.id) == row.digest else None
        row.reused = row.run is not None
        if row.run is None:
            todo.append(row.id)
        elif not (student_dir(out, row.id) / "report.html").is_file():
            store(out, row.id, submissions / row.id, results.to_dict(row.run), options.lang)

    def finish(student: str, data: dict | None) -> None:
        """Store one graded student and mark them done (runs where the grading ran)."""
        if data is None or "class_error" in data:
            return
        store(out, student, submissions / student, data, options.lang)
        record(out, known, student, rows[student].digest)
        if echo:
            shown = {"score": points(data["score"]), "max": points(data["max_score"])}
            echo(say("progress_line", options.lang, student=strip_control(student), **shown))

    graded = _dispatch(options, todo, finish) if todo else {}
    for student in todo:
        data = graded.get(student)
        if data is None:
            rows[student].error = "the process grading this student died"
        elif "class_error" in data:
            rows[student].error = str(data["class_error"])
        else:
            rows[student].run = results.from_dict(data)
    for row in rows.values():
        row.quiz = classroom_report.load_quiz(submissions / row.id)
    result = ClassResult(options=options, students=[rows[i] for i in ids])
    classroom_report.write_class(result, out)
    return result


_stopped = False


def _stop_job(signum: int, frame: object) -> None:
    """Ctrl-C in a grading job: stop at once, store nothing, keep pytest's complaints quiet."""
    global _stopped
    _stopped = True
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    raise KeyboardInterrupt


def _dispatch(
    options: ClassOptions, todo: list[str], finish: Callable[[str, dict | None], None]
) -> dict[str, dict | None]:
    """Grade the students in `todo` locally (forked jobs) or on a Dask cluster."""
    config = grade_config(options)
    submissions = Path(options.submissions)
    if options.dask:
        from grader.classroom_cluster import on_cluster

        return on_cluster(options.dask, todo, submissions, config, finish)
    from grader.jobs import run_in_jobs

    def work(student: str) -> dict:
        signal.signal(signal.SIGINT, _stop_job)
        try:
            data = grade_workspace(submissions / student, config)
            if _stopped:  # pytest may have swallowed the interrupt: the verdicts are partial
                raise KeyboardInterrupt
            finish(student, data)
        except Exception as exc:  # noqa: BLE001 - a grader bug costs this student, not the job
            return {"class_error": f"internal: {type(exc).__name__}: {exc}"}
        return data

    done: dict[str, dict | None] = {}
    while waiting := [s for s in todo if s not in done]:
        # Items left in the queue when every job has died were never handed out: start again.
        done |= run_in_jobs(waiting, work, options.jobs)
    return done
