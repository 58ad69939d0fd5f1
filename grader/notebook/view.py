"""What `%grade` shows under the cell: a compact HTML verdict, the full report one click away.

The summary says what the terminal says (verdict, each check to fix with its diagnosis and
smallest failing input, the hint) with inline styles, because a notebook output has no style
sheet of ours; the full HTML report rides along in a closed `<details>` as an `iframe srcdoc`,
so that it works in Jupyter and Colab alike without serving a file. Every learner-influenced
text goes through the report's `clean` and is HTML-escaped.
"""

from __future__ import annotations

import html
import sys
from functools import cache
from pathlib import Path

import click

from grader.report import terminal
from grader.report.html import clean, phrase, points, status_label
from grader.results import ExerciseResult, RunResult, problems

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

MESSAGES_FILE = Path(__file__).with_name("messages.toml")
SHOWN_PROBLEMS = 3
COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "error": "#cf222e",
    "not_started": "#9a6700",
}


@cache
def _messages() -> dict:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def say(key: str, lang: str = "en", **values: object) -> str:
    """A notebook phrase in `lang` (else English), else one of the reports' phrases."""
    table = _messages()
    text = table.get(lang, {}).get(key) or table["en"].get(key)
    if text is None:
        return phrase(key, lang, **values)
    return text.format(**values)


def _e(text: object, lang: str, limit: int = 1500) -> str:
    return html.escape(clean(text, limit, lang=lang))


def _block(label: str, body: str, lang: str, pre: bool = False) -> str:
    inner = f"<pre style='margin:2px 0;white-space:pre-wrap'>{body}</pre>" if pre else body
    colon = html.escape(phrase("colon", lang))
    return f"<div style='margin:2px 0'><b>{html.escape(label)}</b>{colon}{inner}</div>"


def _exercise(exercise: ExerciseResult, lang: str) -> str:
    colour = COLOURS.get(exercise.status, "#57606a")
    mark = terminal.MARKS.get(exercise.status, "")
    score = phrase("points_of", lang, score=points(exercise.score), max=points(exercise.max_score))
    parts = [
        f"<div class='grade-exercise' data-status='{html.escape(exercise.status)}' "
        f"style='border-left:4px solid {colour};padding:4px 10px;margin:6px 0'>",
        f"<div><b>{mark} {_e(exercise.id, lang, 40)} · {_e(exercise.title, lang, 200)}</b> — "
        f"<span style='color:{colour};font-weight:bold'>{status_label(exercise.status, lang)}"
        f"</span> · {html.escape(score)}</div>",
    ]
    if exercise.reason:
        parts.append(_block(phrase("reason", lang), _e(exercise.reason, lang), lang, pre=True))
    to_fix = problems(exercise)
    for check in to_fix[:SHOWN_PROBLEMS]:
        parts.append("<div style='margin:6px 0 6px 8px'>")
        where = f" ({say('your_line', lang, line=check.line)})" if check.line else ""
        parts.append(f"<div><b>✗ {_e(check.title or check.name, lang, 300)}</b>{where}</div>")
        if check.message:
            parts.append(f"<div style='white-space:pre-wrap'>{_e(check.message, lang)}</div>")
        if check.diagnosis:
            parts.append(_block(phrase("diagnosis", lang), _e(check.diagnosis, lang), lang))
        if check.example:
            parts.append(_block(phrase("example", lang), _e(check.example, lang), lang, pre=True))
        parts.append("</div>")
    if len(to_fix) > SHOWN_PROBLEMS:
        more = say("more_problems", lang, count=len(to_fix) - SHOWN_PROBLEMS)
        parts.append(f"<div>{html.escape(more)}</div>")
    if exercise.hint and exercise.status != "passed":
        parts.append(_block(phrase("hint", lang), _e(exercise.hint, lang), lang))
    parts.append("</div>")
    return "".join(parts)


def summary_html(
    run: RunResult,
    lang: str = "en",
    report: str = "",
    saved: Path | None = None,
    notes: tuple[str, ...] = (),
) -> str:
    """The verdict under the cell; `report` (a whole HTML page) goes in a closed <details>."""
    parts = ["<div class='grade-summary' style='font-family:sans-serif;line-height:1.4'>"]
    parts.extend(_exercise(exercise, lang) for exercise in run.exercises)
    every_note = [*notes, *run.notes]
    if every_note:
        listed = "".join(f"<li>{_e(note, lang, 600)}</li>" for note in every_note)
        parts.append(
            f"<div style='color:#57606a;font-size:90%'>{html.escape(phrase('notes', lang))}:"
            f"<ul style='margin:2px 0'>{listed}</ul></div>"
        )
    if report:
        parts.append(
            f"<details><summary style='cursor:pointer'>{html.escape(say('full_report', lang))}"
            f"</summary><iframe title='{html.escape(say('full_report', lang))}' "
            f"sandbox='allow-same-origin' srcdoc=\"{html.escape(report, quote=True)}\" "
            "style='width:100%;height:640px;border:1px solid #d0d7de'></iframe></details>"
        )
    if saved is not None:
        text = say("report_saved", lang, path=str(saved))
        parts.append(f"<div style='color:#57606a;font-size:90%'>{html.escape(text)}</div>")
    parts.append("</div>")
    return "".join(parts)


def summary_text(run: RunResult, lang: str = "en", notes: tuple[str, ...] = ()) -> str:
    """The same verdict as plain text (what a console or `print(verdict)` shows)."""
    lines = [f"note: {note}" for note in (*notes, *run.notes)]
    lines.append(click.unstyle(terminal.render(run, lang)))
    return "\n".join(lines)


def failure_html(detail: str, lang: str = "en") -> str:
    """A grading that could not happen (the grader itself failed), said in a red box."""
    text = say("grading_failed", lang, detail=clean(detail, 3000, lang=lang))
    return (
        "<div class='grade-summary' data-status='error' style='border-left:4px solid "
        f"{COLOURS['error']};padding:4px 10px;white-space:pre-wrap'>{html.escape(text)}</div>"
    )
