"""The terminal verdict: one line per exercise, and for a failure what to fix next."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import click

from grader import catalog
from grader.results import (
    CheckResult,
    ExerciseResult,
    RunResult,
    problems,
    strip_control,
)

COLOURS = {
    "passed": "green",
    "failed": "red",
    "error": "red",
    "not_started": "yellow",
    "skipped": "yellow",
}
MESSAGE_LIMIT = 1500  # characters of one learner-influenced text; the HTML report has more
MARKS = {"passed": "✓", "failed": "✗", "error": "!", "not_started": "·", "skipped": "-"}


def _status(status: str, lang: str) -> str:
    return catalog.message(f"status_{status}", lang)


def _indent(text: str, prefix: str = "    ", lang: str = "en") -> str:
    text = strip_control(text)
    if len(text) > MESSAGE_LIMIT:
        cut = len(text) - MESSAGE_LIMIT
        text = text[:MESSAGE_LIMIT] + "\n" + catalog.message("more_characters", lang, count=cut)
    return "\n".join(prefix + line for line in text.splitlines())


def width(text: str) -> int:
    """Columns `text` takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """`text` followed by spaces up to `columns` terminal columns (str.ljust counts characters)."""
    return text + " " * max(0, columns - width(text))


def _one_line(check: CheckResult, lang: str) -> str:
    """A further failing check in one line: its title, and the misconception when one is named."""
    mark = MARKS["error" if check.status == "error" else "failed"]
    named = f" [{check.mistake}]" if check.mistake else ""
    return f"{mark} {check.title or check.name}{named}"


def _passed_line(exercise: ExerciseResult, lang: str) -> str:
    """'N of M checks passed', counting each check once whatever the devices it ran on."""
    ran = {c.name for c in exercise.checks if c.status != "skipped"}
    bad = {c.name for c in exercise.checks if c.status in ("failed", "error")}
    return catalog.message("checks_passed", lang, passed=len(ran - bad), total=len(ran))


def _points(value: float) -> str:
    return f"{value:g}"


def exercise_lines(
    exercise: ExerciseResult, lang: str, file: str = "", id_width: int = 11
) -> list[str]:
    """The lines shown for one exercise."""
    colour = COLOURS.get(exercise.status, "white")
    head = (
        f"{click.style(MARKS[exercise.status], fg=colour)} {exercise.id:<{id_width}} "
        f"{pad(strip_control(exercise.title), 48)} "
        f"{click.style(pad(_status(exercise.status, lang), 12), fg=colour, bold=True)} "
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
        lines.append(click.style(_indent(exercise.reason, lang=lang), fg="red"))
    ranked = problems(exercise)
    problem = ranked[0] if ranked else None
    if problem is not None:
        lines.append(
            click.style(_indent(f"{problem.title or problem.name} [{problem.device}]"), bold=True)
        )
        if problem.message:
            lines.append(_indent(problem.message, "      ", lang))
        if problem.diagnosis:
            lines.append(
                _indent(f"{catalog.message('diagnosis', lang)}: {problem.diagnosis}", "      ")
            )
        if problem.example:
            lines.append(_indent(f"{catalog.message('example', lang)}:", "      "))
            lines.append(_indent(problem.example, "        ", lang))
    if len(ranked) > 1:
        lines.append(_indent(catalog.message("also_to_fix", lang, count=len(ranked) - 1)))
        lines.extend(_indent(_one_line(c, lang), "      ") for c in ranked[1:])
    if ranked:
        lines.append(_indent(_passed_line(exercise, lang)))
    if exercise.status != "passed" and exercise.hint:
        label = catalog.message("hint", lang)
        lines.append(click.style(_indent(f"{label}: {exercise.hint}"), fg="cyan"))
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
    id_width = max([11, *(len(e.id) for e in run.exercises)])
    lines: list[str] = []
    for exercise in run.exercises:
        lines.extend(exercise_lines(exercise, lang, files.get(exercise.id, ""), id_width))
    return "\n".join(lines)
