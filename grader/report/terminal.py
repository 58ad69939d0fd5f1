"""The terminal verdict: one line per exercise, and for a failure what to fix next."""

from __future__ import annotations

from collections.abc import Iterable

import click

from grader import catalog
from grader.results import CheckResult, ExerciseResult, RunResult, strip_control

COLOURS = {
    "passed": "green",
    "failed": "red",
    "error": "red",
    "not_started": "yellow",
    "skipped": "yellow",
}
MARKS = {"passed": "✓", "failed": "✗", "error": "!", "not_started": "·", "skipped": "-"}


def _status(status: str, lang: str) -> str:
    return catalog.message(f"status_{status}", lang)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in strip_control(text).splitlines())


def first_problem(exercise: ExerciseResult) -> CheckResult | None:
    """The check to fix first: the first error, else the first failure."""
    for wanted in ("error", "failed"):
        for c in exercise.checks:
            if c.status == wanted:
                return c
    return None


def _points(value: float) -> str:
    return f"{value:g}"


def exercise_lines(exercise: ExerciseResult, lang: str, file: str = "") -> list[str]:
    """The lines shown for one exercise."""
    colour = COLOURS.get(exercise.status, "white")
    head = (
        f"{click.style(MARKS[exercise.status], fg=colour)} {exercise.id:<11} {exercise.title:<48} "
        f"{click.style(f'{_status(exercise.status, lang):<12}', fg=colour, bold=True)} "
        f"{_points(exercise.score)}/{_points(exercise.max_score)}"
    )
    lines = [head]
    if exercise.status == "not_started":
        lines.append(
            _indent(
                exercise.reason
                or catalog.message("not_started_detail", lang, file=file or exercise.id)
            )
        )
    elif exercise.status == "error" and exercise.reason:
        lines.append(click.style(_indent(exercise.reason), fg="red"))
    problem = first_problem(exercise)
    if problem is not None:
        lines.append(
            click.style(_indent(f"{problem.title or problem.name} [{problem.device}]"), bold=True)
        )
        if problem.message:
            lines.append(_indent(problem.message, "      "))
        if problem.diagnosis:
            lines.append(
                _indent(f"{catalog.message('diagnosis', lang)}: {problem.diagnosis}", "      ")
            )
        if problem.example:
            lines.append(_indent(f"{catalog.message('example', lang)}:", "      "))
            lines.append(_indent(problem.example, "        "))
    if exercise.status != "passed" and exercise.hint:
        lines.append(click.style(_indent(f"Hint: {exercise.hint}"), fg="cyan"))
    if exercise.output and exercise.status != "passed":
        shown = exercise.output.strip().splitlines()[-5:]
        lines.append(_indent(f"{catalog.message('printed_output', lang)}:"))
        lines.append(_indent("\n".join(line[:200] for line in shown), "      "))
    return lines


def progress_line(exercises: Iterable[ExerciseResult], lang: str) -> str:
    """'N/M exercises passed', over the exercises of the catalog in use."""
    ids = {e.id for e in catalog.exercises()}
    passed = sum(1 for e in exercises if e.status == "passed" and e.id in ids)
    return catalog.message("progress", lang, passed=passed, total=len(ids))


def render(run: RunResult, lang: str, files: dict[str, str] | None = None) -> str:
    """The whole terminal report of a run."""
    files = files or {}
    lines: list[str] = []
    for exercise in run.exercises:
        lines.extend(exercise_lines(exercise, lang, files.get(exercise.id, "")))
    return "\n".join(lines)
