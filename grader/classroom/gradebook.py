"""The class's gradebook, in the shapes an LMS imports: plain CSV, Canvas and Moodle.

Every student of the submissions folder has a row (missing and unreadable ones marked), each
exercise a score and a status column, and a points-possible row comes first (Canvas reads it,
a spreadsheet shows it). Files are UTF-8 with a byte-order mark by default so that a
spreadsheet shows "José García" and "学生 王芳" as written; `plain` drops the mark. The
grades are those after the instructor's overrides and late penalties (`classroom_policy`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from grader.classroom.policy import Grade, grade_of, stamp
from grader.classroom.quizzes import quiz_topics
from grader.report.html import points
from grader.results import strip_control, write_atomic

if TYPE_CHECKING:
    from grader.classroom.model import ClassResult, Student

FORMATS = ("csv", "canvas", "moodle")
FORMULA_START = ("=", "+", "-", "@")
POINTS_POSSIBLE = "Points Possible"
KEY_FILE = ".pseudonym-key"
BOM = "\ufeff"


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula; no control characters."""
    text = strip_control(str(value)).replace("\t", " ")
    return "'" + text if text.lstrip(" ").startswith(FORMULA_START) else text


def row_status(student: Student) -> str:
    """What the row's status column says: graded, missing, unreadable or error: why."""
    if student.problem:
        return student.problem
    return "graded" if student.run is not None else f"error: {student.error}"


def exercise_status(student: Student, grade: Grade, exercise_id: str) -> str:
    """An exercise's status cell: its verdict, with the kind of error (timeout, syntax...)."""
    status = grade.statuses.get(exercise_id, "")
    if status == "error" and student.run is not None:
        entry = next((e for e in student.run.exercises if e.id == exercise_id), None)
        kind = entry.reason.split(":", 1)[0].strip() if entry and entry.reason else ""
        return f"error: {kind}" if kind else status
    return status


def quiz_columns(result: ClassResult) -> list[str]:
    """The quiz topics anyone answered (`quiz:<topic>`), in the bank's order."""
    return list(quiz_topics(result))


def csv_rows(result: ClassResult) -> list[list[str]]:
    """The plain gradebook: header, points possible, then one row per student."""
    exercises = [e.id for e in result.options.exercises]
    quizzes = quiz_columns(result)
    late = result.policy.deadlines is not None
    header = ["student"]
    for exercise_id in exercises:
        header += [exercise_id, f"{exercise_id} status"]
    header += [*quizzes, "total", "max"]
    header += ["submitted", "late days", "penalty %", "final"] if late else []
    header += ["status", "notes"]
    possible = [POINTS_POSSIBLE]
    for exercise in result.options.exercises:
        possible += [points(exercise.max_score), ""]
    catalog_max = sum(e.max_score for e in result.options.exercises)
    possible += [""] * len(quizzes) + [points(catalog_max), points(catalog_max)]
    possible += ["", "", "", points(catalog_max)] if late else []
    possible += ["", ""]
    rows = [header, possible]
    for student in result.students:
        grade = grade_of(student, result, result.policy)
        graded = student.run is not None
        row = [student.id]
        for exercise_id in exercises:
            score = points(grade.scores[exercise_id]) if graded else ""
            row += [score, exercise_status(student, grade, exercise_id)]
        row += [points(student.quiz[q][0]) if q in student.quiz else "" for q in quizzes]
        row += [points(grade.raw), points(grade.maximum)] if graded else ["", points(grade.maximum)]
        if late:
            final = points(grade.total) if graded else ""
            when = f"{stamp(grade)} ({grade.submitted_by})" if grade.submitted else ""
            row += [when, str(grade.late_days), points(grade.penalty), final]
        row += [row_status(student), "; ".join(grade.notes)]
        rows.append(row)
    return [[safe_cell(c) for c in row] for row in rows]


def canvas_rows(result: ClassResult) -> list[list[str]]:
    """Canvas's grade import: identity columns, one column per exercise, Points Possible row.

    Canvas matches rows by SIS Login ID here (the submission folder's name): export your
    course's gradebook once to see the ids it expects and name the folders after them.
    """
    exercises = list(result.options.exercises)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    header += [e.id for e in exercises] + ["torch-grader total"]
    maximum = sum(e.max_score for e in exercises)
    rows = [header, [POINTS_POSSIBLE, "", "", "", ""] + [points(e.max_score) for e in exercises]]
    rows[1].append(points(maximum))
    for student in result.students:
        grade = grade_of(student, result, result.policy)
        graded = student.run is not None
        scores = [points(grade.scores[e.id]) if graded else "" for e in exercises]
        total = points(grade.total) if graded else ""
        rows.append([student.id, "", "", student.id, "", *scores, total])
    return [[safe_cell(c) for c in row] for row in rows]


def moodle_rows(result: ClassResult) -> list[list[str]]:
    """Moodle's CSV grade import: a username column to map on, a grade and a feedback column."""
    exercises = list(result.options.exercises)
    rows = [["Username", *(e.id for e in exercises), "Total", "Feedback"]]
    for student in result.students:
        grade = grade_of(student, result, result.policy)
        graded = student.run is not None
        scores = [points(grade.scores[e.id]) if graded else "" for e in exercises]
        feedback = "; ".join([row_status(student), *grade.notes])
        rows.append([student.id, *scores, points(grade.total) if graded else "", feedback])
    return [[safe_cell(c) for c in row] for row in rows]


def to_text(rows: list[list[str]], plain: bool = False) -> str:
    """Rows as CSV text, with a byte-order mark unless `plain`."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("" if plain else BOM) + buffer.getvalue()


def pseudonym(key: bytes, student: str) -> str:
    """A stable pseudonym of `student` under this class's key (the same on every run)."""
    mac = hmac.new(key, student.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return "student-" + mac.hexdigest()[:10]


def class_key(out: Path) -> bytes:
    """The class's pseudonym key, made once and kept in OUT (not readable by others)."""
    path = Path(out) / KEY_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        key = os.urandom(32)
        Path(out).mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        return key


def anonymised(rows: list[list[str]], key: bytes, column: int, skip: int) -> list[list[str]]:
    """`rows` with the student names of `column` replaced by pseudonyms (first `skip` rows kept)."""
    done = [list(r) for r in rows]
    for row in done[skip:]:
        name = row[column].removeprefix("'")
        row[column] = pseudonym(key, name)
        if len(row) > 3 and row[3].removeprefix("'") == name:  # Canvas: SIS Login ID
            row[3] = row[column]
    return done


def write_gradebooks(
    result: ClassResult,
    out: Path,
    formats: tuple[str, ...] = ("csv",),
    plain: bool = False,
    anonymise: bool = False,
) -> list[Path]:
    """Write gradebook.csv (always) and gradebook-<format>.csv for the other formats asked for.

    With `anonymise`, each also gets an `anonymised/` twin with stable pseudonyms.
    """
    makers = {"csv": csv_rows, "canvas": canvas_rows, "moodle": moodle_rows}
    written = []
    for name in dict.fromkeys(("csv", *formats)):
        rows = makers[name](result)
        file = "gradebook.csv" if name == "csv" else f"gradebook-{name}.csv"
        write_atomic(Path(out) / file, to_text(rows, plain))
        written.append(Path(out) / file)
        if anonymise:
            skip = 1 if name == "moodle" else 2
            hidden = anonymised(rows, class_key(out), 0, skip)
            write_atomic(Path(out) / "anonymised" / file, to_text(hidden, plain))
            written.append(Path(out) / "anonymised" / file)
    return written
