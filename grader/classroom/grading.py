"""Grading a whole class: every student's workspace, in parallel, resumable, with a gradebook.

Each sub-folder of the submissions folder is one student's workspace (named by the student id);
results land in `OUT/students/<id>/`, and `OUT/state.json` keeps a content hash per student so
that a new run grades only what changed or was not reached (`report` writes the rest). This is
the orchestrator: it imports the other modules of the package, and none of them imports it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from grader import __version__, catalog, results
from grader.classroom import dispatch, layout, policy
from grader.classroom.dispatch import Interrupted, Progress
from grader.classroom.layout import Submission
from grader.classroom.model import ClassError, ClassOptions, ClassResult, Policy, Student
from grader.classroom.report import load_quiz, write_class
from grader.classroom.workspace import content_hash, grade_config, grade_workspace, learner_files
from grader.report.writing import read_sources, write_reports
from grader.results import RunResult

__all__ = [  # the names a caller of `grade class` needs, whichever module defines them
    "ClassError",
    "ClassOptions",
    "ClassResult",
    "Interrupted",
    "Student",
    "content_hash",
    "grade_class",
    "grade_config",
    "grade_workspace",
    "learner_files",
    "private_seed",
    "read_state",
    "student_dir",
]

STATE_FILE = "state.json"
PRIVATE_SEED_FILE = ".private-seed"
STATE_VERSION = 1
_LOCK_FILE = ".state.lock"


def private_seed(out: Path, fresh: int) -> int:
    """The class's private seed: the one kept in OUT by an earlier run, else `fresh`, kept.

    Kept (readable by its owner only) so that a resumed run grades with the same inputs.
    """
    path = Path(out) / PRIVATE_SEED_FILE
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        Path(out).mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(f"{int(fresh)}\n")
        return int(fresh)


def unpacked_dir(out: Path) -> Path:
    """Where the students' zips are unpacked (inside OUT, hidden from learner code)."""
    return Path(out) / "unpacked"


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


def _check_folders(options: ClassOptions) -> list[Submission]:
    """The students to grade; ClassError when the folders are not usable."""
    submissions = Path(options.submissions)
    if not submissions.is_dir():
        raise ClassError(f"{str(submissions)!r} is not a folder of submissions.")
    where, out = submissions.resolve(), Path(options.out).resolve()
    if out == where or where in out.parents:
        raise ClassError(f"--out {str(options.out)!r} must not be inside {str(submissions)!r}.")
    if (out / "students") == where or (out / "students") in where.parents:
        raise ClassError(f"{str(submissions)!r} must not be inside {str(out / 'students')!r}.")
    found = layout.submissions(submissions, unpacked_dir(out))
    if not found:
        raise ClassError(
            f"{str(submissions)!r} has no students (one sub-folder or one .zip per student)."
        )
    return found


def policy_of(options: ClassOptions) -> Policy:
    """The overrides and deadlines in force: the files given, else those in OUT, if any.

    PolicyError (a usage error) when one is malformed: checked before anything is graded.
    """
    out = Path(options.out)
    return policy.load(
        options.overrides or out / policy.OVERRIDES_FILE,
        options.deadlines or out / policy.DEADLINES_FILE,
    )


def grade_class(
    options: ClassOptions, only: list[str] | None = None, echo: Callable[[str], None] | None = None
) -> ClassResult:
    """Grade the class (or the students in `only`), reusing unchanged students; write every file.

    Never raises for anything a student wrote: a student who cannot be graded is an error row,
    an empty or unreadable submission is `missing` / `unreadable`. Every student of the folder
    stays in the gradebook, `only` just limits who is graded again. On Ctrl-C every job is
    stopped, the gradebook is written with what is done, and `Interrupted` is raised.
    """
    found = _check_folders(options)
    rules = policy_of(options)
    if only is not None:
        unknown = sorted(set(only) - {s.id for s in found})
        if unknown:
            raise ClassError(f"no student {', '.join(map(repr, unknown))} in the submissions.")
    out = Path(options.out)
    known = settings(options)
    state = read_state(out)
    done = state.get("students", {}) if state.get("settings") == known else {}
    # A student graded before whose submission has gone is listed, never dropped in silence.
    gone = sorted(set(state.get("students", {})) - {s.id for s in found})
    why = "the submission is no longer in the submissions folder (graded in an earlier run)"
    found = sorted(
        [
            *found,
            *(Submission(g, Path(options.submissions) / g, layout.MISSING, why) for g in gone),
        ],
        key=lambda s: s.id,
    )
    rows = {
        s.id: Student(
            id=s.id,
            digest="" if s.problem else content_hash(s.folder),
            folder=s.folder,
            problem=s.problem,
            error=s.detail if s.problem else "",
        )
        for s in found
    }
    todo = []
    for row in rows.values():
        if row.problem:
            continue
        named = only is not None and row.id in only  # --only: graded again, whatever is kept
        row.run = None if named else _reused(out, row, done, options.lang)
        row.reused = row.run is not None
        if row.run is None and (only is None or named):
            todo.append(row.id)
        elif row.run is None:
            row.error = "not graded yet (this run graded only the students named with --only)"

    def finish(student: str, data: dict | None) -> None:
        """Store one graded student and mark them done (runs where the grading ran)."""
        if data is None or "class_error" in data:
            return
        store(out, student, folders[student], data, options.lang)
        record(out, known, student, rows[student].digest)

    progress = Progress(len(todo), echo, options.lang)
    folder_of = {s.id: s.folder for s in found}
    folders = {s: folder_of[s] for s in todo}
    try:
        graded = _dispatch(options, todo, folders, finish, progress) if todo else {}
    except Interrupted:
        _settle(out, rows, todo, {}, known, interrupted=True)
        partial = ClassResult(options, [rows[s.id] for s in found], rules)
        write_class(partial, out)
        kept = sum(1 for r in rows.values() if r.run is not None)
        raise Interrupted(kept, len(rows)) from None
    _settle(out, rows, todo, graded, known)
    result = ClassResult(options=options, students=[rows[s.id] for s in found], policy=rules)
    write_class(result, out)
    return result


def _reused(out: Path, row: Student, done: dict[str, str], lang: str) -> RunResult | None:
    """The stored run of a student whose files and settings did not change, else None."""
    if done.get(row.id) != row.digest:
        return None
    run = previous(out, row.id)
    missing_report = not (student_dir(out, row.id) / "report.html").is_file()
    if run is not None and row.folder is not None and missing_report:
        store(out, row.id, row.folder, results.to_dict(run), lang)
    return run


def _settle(
    out: Path,
    rows: dict[str, Student],
    todo: list[str],
    graded: dict[str, dict | None],
    known: dict[str, Any],
    interrupted: bool = False,
) -> None:
    """Put each graded student's run (or why there is none) and quiz into their row."""
    stored = read_state(out).get("students", {}) if interrupted else {}
    for student in todo:
        row = rows[student]
        data = graded.get(student)
        if interrupted:
            row.run = previous(out, student) if stored.get(student) == row.digest else None
            row.error = "" if row.run else "interrupted before it was graded"
        elif data is None:
            row.error = "the process grading this student died"
        elif "class_error" in data:
            row.error = str(data["class_error"])
        else:
            row.run = results.from_dict(data)
    for row in rows.values():
        if row.folder is not None and not row.problem:
            row.quiz = load_quiz(row.folder)


def _dispatch(
    options: ClassOptions,
    todo: list[str],
    folders: dict[str, Path],
    finish: Callable[[str, dict | None], None],
    progress: Callable[[str, dict | None], None],
) -> dict[str, dict | None]:
    """Grade the students in `todo` locally (forked jobs) or on a Dask cluster."""
    config = grade_config(options)
    if options.dask:
        from grader.classroom.cluster import on_cluster

        def both(student: str, data: dict | None) -> None:
            finish(student, data)
            progress(student, data)

        return on_cluster(options.dask, todo, folders, config, both, wait=options.dask_wait)
    from grader.sandbox import zygote

    preloads = catalog.preloads(options.exercises)
    server = options.server or zygote.Zygote(preloads)  # one warm server for the class
    server.ensure(preloads)  # asks nothing of a server that has them
    try:
        return dispatch.locally(todo, folders, config, options.jobs, finish, progress, server)
    finally:
        if server is not options.server:
            server.close()  # the class's own; a server handed in is its owner's
