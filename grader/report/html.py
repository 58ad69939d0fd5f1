"""The HTML report: one self-contained page (inline CSS and SVG, no script) built from a run.

Everything the learner's code controls (messages, printed output, examples, source lines) is
cleaned here (ANSI sequences and control characters removed, length capped) and escaped by
Jinja's autoescaping in the template; the junit and gradescope writers reuse `clean` and
`phrase`.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from grader import catalog
from grader.results import (
    CheckResult,
    ExerciseResult,
    RunResult,
    first_problem,
    problems,
    write_atomic,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
MESSAGES_FILE = HERE / "messages.toml"
LIMIT = 2000
LINE_LIMIT = 200
DEVICE_ORDER = ("cpu", "cuda", "emulated", "source", "any")
# Shown beside the status in words, never instead of it.
MARKS = {"passed": "✓", "failed": "✗", "error": "!", "not_started": "○", "skipped": "⊘"}
ORDER_SHOWN = {"error": 0, "failed": 0, "not_started": 1, "passed": 2}

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@cache
def _messages() -> dict:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def phrase(key: str, lang: str = "en", **values: object) -> str:
    """A report phrase in `lang` (else English), else one of the grader's own phrases."""
    table = _messages()
    text = table.get(lang, {}).get(key) or table["en"].get(key)
    if text is None:
        return catalog.message(key, lang, **values)
    return text.format(**values)


def clean(text: object, limit: int = LIMIT, lang: str = "en", tail: bool = False) -> str:
    """Learner-controlled text made safe to show: no escapes or control characters, capped."""
    text = "" if text is None else str(text)
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    # Bidirectional overrides could make shown code differ from the code that ran.
    text = _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    text = _SURROGATE.sub("\ufffd", text)
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    if tail:
        return phrase("earlier_cut", lang, count=cut) + "\n" + text[-limit:]
    return text[:limit] + "\n" + phrase("more_characters", lang, count=cut)


def points(value: float) -> str:
    """Points as people write them: 4, 1.5, 0.67."""
    return f"{round(value, 2):g}"


def concepts_of(exercise_id: str) -> tuple[str, ...]:
    """The concepts an exercise teaches; for ids outside the catalog ('quiz:autograd'), the
    part after the colon, or none."""
    try:
        return tuple(catalog.find(exercise_id).concepts)
    except (LookupError, catalog.CatalogError):
        _, colon, rest = exercise_id.partition(":")
        return (rest,) if colon and rest else ()


def details(check: CheckResult, lang: str = "en", hint: str = "") -> str:
    """A check's outcome as plain text (for JUnit and Gradescope): message, why, example, hint."""
    parts = [clean(check.message, lang=lang)]
    if check.diagnosis:
        parts.append(f"{phrase('diagnosis', lang)}{phrase('colon', lang)}{clean(check.diagnosis)}")
    if check.example:
        parts.append(f"{phrase('example', lang)}{phrase('colon', lang).rstrip()}\n")
        parts[-1] += clean(check.example, lang=lang)
    if hint:
        parts.append(f"{phrase('hint', lang)}{phrase('colon', lang)}{clean(hint, lang=lang)}")
    return "\n".join(p for p in parts if p)


def next_fix(run: RunResult) -> tuple[ExerciseResult, CheckResult | None] | None:
    """The first failing (or erroring) exercise and its first problem check, if any."""
    for exercise in run.exercises:
        if exercise.status in ("failed", "error"):
            return exercise, first_problem(exercise)
    return None


def device_label(device: str, lang: str) -> str:
    """A device column's name."""
    return phrase(f"device_{device}", lang) if device in DEVICE_ORDER else clean(device, 40)


def status_label(status: str, lang: str) -> str:
    """A status in words (status is never shown by colour alone)."""
    return phrase(f"status_{status}", lang)


def _snippet(source: str | None, line: int | None, context: int = 2) -> list[dict]:
    if not source or not isinstance(line, int) or line < 1:
        return []
    # Numbered as Python numbers them: only \n, \r\n and \r end a line.
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if line > len(lines):
        return []
    first, last = max(1, line - context), min(len(lines), line + context)
    return [
        {"number": n, "text": clean(lines[n - 1], LINE_LIMIT), "current": n == line}
        for n in range(first, last + 1)
    ]


def _problem(check: CheckResult, devices: list[str], source: str | None, lang: str) -> dict:
    return {
        "title": clean(check.title or check.name, 300),
        "name": clean(check.name, 100),
        "status": check.status,
        "status_label": status_label(check.status, lang),
        "mark": MARKS[check.status],
        "devices": ", ".join(device_label(d, lang) for d in devices),
        "message": clean(check.message, lang=lang),
        "diagnosis": clean(check.diagnosis, lang=lang),
        "example": clean(check.example, lang=lang),
        "line": check.line if isinstance(check.line, int) else None,
        "snippet": _snippet(source, check.line),
    }


def _problems(exercise: ExerciseResult, source: str | None, lang: str) -> list[dict]:
    """Failed and erroring checks; the same failure on several devices is shown once."""
    grouped: dict[tuple, tuple[CheckResult, list[str]]] = {}
    for check in exercise.checks:
        if check.status in ("failed", "error"):
            key = (check.name, check.status, check.message, check.diagnosis, check.example)
            grouped.setdefault(key, (check, []))[1].append(check.device)
    return [_problem(check, devices, source, lang) for check, devices in grouped.values()]


def _skip_note(check: CheckResult, lang: str) -> str:
    note = clean(check.message, 200, lang)
    for prefix in ("skipped:", "已跳过："):
        note = note.removeprefix(prefix).strip()
    return note


def _matrix(exercise: ExerciseResult, lang: str) -> dict:
    """Checks by device, failing rows first; what was skipped throughout is folded.

    A device column skipped for one reason in every row ("no CUDA device") becomes one line
    instead of a note in each row; rows skipped on every device go to a folded list.
    """
    used = {c.device for c in exercise.checks}
    devices = [d for d in DEVICE_ORDER if d in used] + sorted(used - set(DEVICE_ORDER))
    folded = []
    for device in list(devices):
        notes = {_skip_note(c, lang) for c in exercise.checks if c.device == device}
        mine = [c for c in exercise.checks if c.device == device]
        if len(devices) > 1 and all(c.status == "skipped" for c in mine) and len(notes) == 1:
            devices.remove(device)
            folded.append({"label": device_label(device, lang), "note": notes.pop()})
    rows: dict[str, dict] = {}
    for check in exercise.checks:
        row = rows.setdefault(
            check.name,
            {"title": clean(check.title or check.name, 300), "cells": {}, "statuses": set()},
        )
        if check.device not in devices:
            continue
        row["statuses"].add(check.status)
        row["cells"][check.device] = {
            "status": check.status,
            "label": status_label(check.status, lang),
            "mark": MARKS[check.status],
            "note": _skip_note(check, lang) if check.status == "skipped" else "",
        }
    rank = {"error": 0, "failed": 1, "passed": 2, "skipped": 3}
    shown = [r for r in rows.values() if r["statuses"] - {"skipped"}]
    shown.sort(key=lambda r: min(rank.get(s, 3) for s in r["statuses"]))
    skipped = [r for r in rows.values() if not r["statuses"] - {"skipped"}]

    def view(row: dict) -> dict:
        return {"title": row["title"], "cells": [row["cells"].get(d) for d in devices]}

    return {
        "devices": [{"id": d, "label": device_label(d, lang)} for d in devices],
        "rows": [view(r) for r in shown],
        "skipped_rows": [view(r) for r in skipped],
        "folded": folded,
    }


def devices_line(run: RunResult, lang: str) -> str:
    """The devices that ran, and the requested ones that this machine does not have.

    "CPU; CUDA not available here" rather than "CPU, CUDA" when every CUDA check was skipped
    for want of a device; the devices asked for when no check ran at all.
    """
    checks = [c for e in run.exercises for c in e.checks]
    ran = [d for d in run.devices if any(c.device == d and c.status != "skipped" for c in checks)]
    if not checks:
        return ", ".join(device_label(d, lang) for d in run.devices)
    missing = [
        d
        for d in run.devices
        if d not in ran and any(c.device == d and c.status == "skipped" for c in checks)
    ]
    text = ", ".join(device_label(d, lang) for d in ran)
    for device in missing:
        absent = phrase("device_not_available", lang, device=device_label(device, lang))
        text = f"{text}; {absent}" if text else absent
    return text


def _anchor(exercise_id: str) -> str:
    return "ex-" + re.sub(r"[^A-Za-z0-9_-]", "-", exercise_id)


def _exercise(exercise: ExerciseResult, sources: dict[str, str], lang: str) -> dict:
    reason = exercise.reason
    if exercise.status == "not_started" and not reason:
        try:
            reason = catalog.message(
                "not_started_detail", lang, file=catalog.find(exercise.id).file
            )
        except (LookupError, catalog.CatalogError):
            reason = ""
    problems = _problems(exercise, sources.get(exercise.id), lang)
    if any(p["message"].split("\n", 1)[0] == reason for p in problems):
        reason = ""  # the reason is the first error's message, shown with that check
    return {
        "id": clean(exercise.id, 100),
        "anchor": _anchor(exercise.id),
        "title": clean(exercise.title, 300),
        "status": exercise.status,
        "status_label": status_label(exercise.status, lang),
        "mark": MARKS[exercise.status],
        "score": points(exercise.score),
        "max_score": points(exercise.max_score),
        "reason": clean(reason, lang=lang),
        "hint": clean(exercise.hint, lang=lang) if exercise.status != "passed" else "",
        "output": clean(exercise.output, lang=lang, tail=True),
        "matrix": _matrix(exercise, lang),
        "problems": problems,
    }


@cache
def _concept_names() -> dict:
    return tomllib.loads((HERE / "concepts.toml").read_text(encoding="utf-8"))


def concept_name(concept: str, lang: str) -> str:
    """A concept as the report names it in `lang` (report/concepts.toml), else as written."""
    return _concept_names().get(lang, {}).get(concept, concept)


def _concepts(run: RunResult, lang: str) -> list[dict]:
    totals: dict[str, list[float]] = {}
    for exercise in run.exercises:
        for concept in concepts_of(exercise.id):
            entry = totals.setdefault(concept, [0.0, 0.0])
            entry[0] += exercise.score
            entry[1] += exercise.max_score
    bars = []
    for key, (score, maximum) in totals.items():
        concept = concept_name(key, lang)
        fraction = min(1.0, max(0.0, score / maximum)) if maximum > 0 else 0.0
        percent = round(100 * fraction)
        bars.append(
            {
                "concept": clean(concept, 60),
                "fraction": fraction,
                "percent": percent,
                "label": phrase(
                    "concept_bar",
                    lang,
                    concept=clean(concept, 60),
                    percent=percent,
                    score=points(score),
                    max=points(maximum),
                ),
            }
        )
    return bars


def context(run: RunResult, lang: str = "en", sources: dict[str, str] | None = None) -> dict:
    """Everything the template shows, already cleaned: the template does no computing."""
    sources = sources or {}
    exercises = [_exercise(e, sources, lang) for e in run.exercises]
    by_id = {e.id: view for e, view in zip(run.exercises, exercises, strict=True)}
    fix = next_fix(run)
    fix_view: dict[str, Any] | None = None
    if fix is not None:
        exercise, check = fix
        view = by_id[exercise.id]
        fix_view = {
            "exercise": view,
            "problem": _problem(check, [check.device], sources.get(exercise.id), lang)
            if check
            else None,
            "others": [
                {"title": clean(c.title or c.name, 300), "mistake": clean(c.mistake, 100)}
                for c in problems(exercise)[1:]
            ],
        }
    first_new = next((e for e in exercises if e["status"] == "not_started"), None)
    counts = {s: sum(1 for e in run.exercises if e.status == s) for s in MARKS if s != "skipped"}
    passed = counts["passed"]
    return {
        "lang": lang if lang in catalog.LANGUAGES else "en",
        "t": lambda key, **values: phrase(key, lang, **values),
        "score": points(sum(e.score for e in run.exercises)),
        "max_score": points(sum(e.max_score for e in run.exercises)),
        "progress": catalog.message("progress", lang, passed=passed, total=len(run.exercises)),
        "passed": passed,
        "total": len(run.exercises),
        "counts": [
            {"status": s, "label": status_label(s, lang), "count": n, "mark": MARKS[s]}
            for s, n in counts.items()
            if n
        ],
        "concepts": _concepts(run, lang),
        "fix": fix_view,
        "first_new": first_new,
        # What needs work first: failures and errors, then exercises not started, then passes.
        "exercises": sorted(exercises, key=lambda e: ORDER_SHOWN.get(e["status"], 1)),
        "meta": {
            "seed": run.seed if run.seed is not None else phrase("seed_private", lang),
            "devices": devices_line(run, lang),
            "torch_version": clean(run.torch_version, 80),
            "grader_version": clean(run.grader_version, 80),
            "duration": points(run.duration),
            "notes": [clean(n, lang=lang) for n in run.notes],
        },
    }


REPORT_TEMPLATES = ("report.html.j2", "report.css.j2", "macros.html.j2")  # the page, what it uses


@cache
def environment() -> jinja2.Environment:
    """The template environment: autoescaping on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def prepare() -> None:
    """Compile the report's templates now (a tenth of a second), on a core idle while checks run."""
    for name in REPORT_TEMPLATES:
        environment().get_template(name)


def render(run: RunResult, lang: str = "en", sources: dict[str, str] | None = None) -> str:
    """The report page as text."""
    return environment().get_template("report.html.j2").render(**context(run, lang, sources))


def write_html(
    run: RunResult, path: Path, lang: str = "en", sources: dict[str, str] | None = None
) -> None:
    """Write the report page to `path` atomically (rendered in full before anything is written)."""
    write_atomic(Path(path), render(run, lang, sources))
