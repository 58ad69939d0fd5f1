"""Which hint a learner sees: the one for the function or named mistake that failed first.

Each function of an exercise has its own ladder (a question, then the concept and the API to
look up, then a near-answer that still leaves the code to write); a named mistake may carry a
hint of its own. The level shown is the learner's level for that function: how many of its
hints `grade hint` has shown them.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.catalog import Exercise
from grader.results import ExerciseResult, first_problem


def level_key(exercise: Exercise, function: str) -> str:
    """The key under which the hints seen of one function's ladder are remembered."""
    return f"{exercise.id}:{function}" if function else exercise.id


def focus(exercise: Exercise, result: ExerciseResult | None) -> tuple[str, str]:
    """(function, mistake id) of the check to fix first; the first ladder when nothing failed."""
    problem = first_problem(result) if result is not None else None
    if problem is None:
        return next(iter(exercise.ladders), ""), ""
    return exercise.function_of(problem.name), problem.mistake


def numbered(exercise: Exercise, function: str, level: int, lang: str) -> str:
    """'(level/count) function: text', the form every ladder hint is shown in."""
    count = exercise.hint_count(function)
    level = max(1, min(level, count))
    name = f"{function}: " if function else ""
    return f"({level}/{count}) {name}{exercise.hint(level, lang, function)}"


def choose(
    exercise: Exercise,
    result: ExerciseResult,
    lang: str,
    seen: Callable[[str], int] = lambda key: 0,
) -> str:
    """The hint shown under a verdict ("" for a pass).

    `seen(key)` says how many hints of a ladder the learner has asked for (see `level_key`);
    the default, none, shows the first rung.
    """
    if result.status == "passed":
        return ""
    function, mistake = focus(exercise, result)
    own = exercise.mistake_hint(mistake, lang) if mistake else ""
    if own:
        return f"{function}: {own}" if function else own
    return numbered(exercise, function, max(1, seen(level_key(exercise, function))), lang)
