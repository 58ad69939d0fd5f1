"""A class folder for `grade class` tests: about ten students, each a kind of submission."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import results
from grader.results import ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent
EX1, EX2 = "exercise01_squeeze.py", "exercise02_to_numpy.py"
CORPUS1 = ROOT / "tests" / "submissions" / "exercise1"
CORPUS2 = ROOT / "tests" / "submissions" / "exercise2"
HOSTILE = ROOT / "tests" / "hostile"
INJECTED = "=1+1"  # a student folder named like a spreadsheet formula
MARKUP = "<img src=x onerror=alert(1)>"  # and one named like HTML

# Student -> (exercise1 source, exercise2 source); None leaves the file out.
STUDENTS: dict[str, tuple[Path | None, Path | None]] = {
    "alice": (ROOT / "solutions" / EX1, ROOT / "solutions" / EX2),
    "bob": (CORPUS1 / "mistake_squeeze_all.py", ROOT / "grader" / "stubs" / EX2),
    "carol": (CORPUS1 / "mistake_unsqueeze_last.py", CORPUS2 / "mistake_tolist.py"),
    "dave": (HOSTILE / "syntax_error.py", None),
    "eve": (HOSTILE / "loop_in_call.py", None),
    "frank": (HOSTILE / "os_exit.py", None),
    "grace": (CORPUS1 / "mistake_unsqueeze_last.py", CORPUS2 / "mistake_tolist.py"),
    "heidi": (None, None),
    INJECTED: (CORPUS1 / "mistake_squeeze_all.py", ROOT / "solutions" / EX2),
    MARKUP: (None, None),
}
# Expected exercise1 status and whether a named mistake appears, per student.
EXPECTED1 = {
    "alice": "passed",
    "bob": "failed",
    "carol": "failed",
    "dave": "error",
    "eve": "error",
    "frank": "error",
    "grace": "failed",
    "heidi": "missing",
    INJECTED: "failed",
    MARKUP: "missing",
    "copycat": "failed",
}

COPYCAT = """\
# Reads a classmate's solution at import time: the class's folders must be hidden from it.
def add_batch_dim(image):
    return image


def remove_batch_dim(batch):
    return batch


try:
    exec(open({path!r}).read())
except OSError:
    pass
"""


def quiz_file(workspace: Path, score: float, maximum: float) -> None:
    """A student's `.grade/quiz.json` with one topic answered (as `grade quiz` leaves it)."""
    run = RunResult(
        exercises=[
            ExerciseResult(
                id="quiz:autograd",
                title="Autograd",
                status="passed" if score == maximum else "failed",
                score=score,
                max_score=maximum,
            ),
            ExerciseResult(id="quiz:not-a-topic", title="forged", status="passed", score=99),
        ]
    )
    results.write_atomic(workspace / ".grade" / "quiz.json", results.to_json(run))


def build_class(root: Path) -> Path:
    """Lay out the class folder under `root`; its path."""
    submissions = root / "submissions"
    for student, sources in STUDENTS.items():
        workspace = submissions / student
        workspace.mkdir(parents=True)
        for name, source in zip((EX1, EX2), sources, strict=True):
            if source is not None:
                shutil.copyfile(source, workspace / name)
    copycat = submissions / "copycat"
    copycat.mkdir()
    (copycat / EX1).write_text(COPYCAT.format(path=str(submissions / "alice" / EX1)))
    quiz_file(submissions / "alice", 3.0, 4.0)
    quiz_file(submissions / "bob", 2.0, 2.0)
    (submissions / ".git").mkdir()  # hidden: not a student
    (submissions / "notes.txt").write_text("not a student\n")
    return submissions
