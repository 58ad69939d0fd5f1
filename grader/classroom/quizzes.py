"""The quiz columns of a class: each student's self-reported quiz results, checked and clamped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from grader.quiz import quiz_progress

if TYPE_CHECKING:
    from grader.classroom.model import ClassResult


def load_quiz(workspace: Path) -> dict[str, tuple[float, float]]:
    """Quiz topic id -> (score, max) from the student's `.grade/quiz.json` (topics of the bank).

    The file is the student's own: numbers are checked and clamped, unknown topics dropped.
    """
    from grader.quiz import bank

    try:
        questions = bank.load()
    except bank.BankError:
        return {}
    asked = {t.id: sum(1 for q in questions.questions if q.topic == t.id) for t in questions.topics}
    found: dict[str, tuple[float, float]] = {}
    for entry in quiz_progress(workspace):
        topic = entry.id.removeprefix("quiz:")
        if topic not in asked:
            continue
        maximum = min(_number(entry.max_score), float(asked[topic]))
        found[entry.id] = (min(_number(entry.score), maximum), maximum)
    return found


def _number(value: object) -> float:
    """A finite, non-negative float, or 0 for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    value = float(value)
    return value if value == value and 0.0 <= value < float("inf") else 0.0


def quiz_topics(result: ClassResult, lang: str = "en") -> dict[str, str]:
    """The quiz topics anyone answered (`quiz:<topic>` -> title), in the bank's order."""
    from grader.quiz import bank, model

    present = {q for s in result.students for q in s.quiz}
    try:
        topics = bank.load().topics
    except bank.BankError:
        return {}
    return {f"quiz:{t.id}": model.pick(t.title, lang) for t in topics if f"quiz:{t.id}" in present}
