"""The class's outputs: the gradebook (CSV) and the class page (one self-contained HTML file).

The page has a heatmap of students x exercises, the distribution of total scores (inline SVG)
and the most frequent named mistakes per exercise, so that a teacher sees what to re-teach.
Everything a student controls (folder names, quiz files, messages) is cleaned and escaped.
"""

from __future__ import annotations

import statistics
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from grader import catalog
from grader.classroom.gradebook import write_gradebooks
from grader.classroom.policy import grade_of
from grader.classroom.quizzes import load_quiz, quiz_topics
from grader.classroom.similarity import clusters
from grader.report.html import MARKS, clean, environment, phrase, points, status_label
from grader.results import ExerciseResult, write_atomic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from grader.classroom.model import ClassResult, Student

__all__ = ["grade_of", "load_quiz", "quiz_topics", "render_class", "say", "write_class"]

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.toml"
BINS = 10
CHART = {"width": 600, "height": 240, "left": 8, "right": 8, "top": 24, "bottom": 44}
LISTED = 40
RETEACH = 5


@cache
def _messages() -> dict:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def say(key: str, lang: str = "en", **values: object) -> str:
    """A class-report phrase in `lang` (else English), else a report or grader phrase."""
    table = _messages()
    text = table.get(lang, {}).get(key) or table["en"].get(key)
    return phrase(key, lang, **values) if text is None else text.format(**values)


def _by_id(student: Student) -> dict[str, ExerciseResult]:
    return {e.id: e for e in student.run.exercises} if student.run else {}


def bucket(fraction: float) -> int:
    """The heatmap colour step of a score fraction: 0 none, 1-3 thirds, 4 every point."""
    if fraction <= 0:
        return 0
    if fraction >= 1:
        return 4
    return 1 + min(2, int(fraction * 3))


def _fraction(score: float, maximum: float) -> float:
    return min(1.0, max(0.0, score / maximum)) if maximum > 0 else 0.0


def _cell(item: str, quiz: bool, label: str, fraction: float | None, mark: str, text: str) -> dict:
    """One heatmap cell; a fraction of None means there is nothing to show."""
    if fraction is None:
        return {"item": item, "quiz": quiz, "label": label, "cls": "none", "mark": "–", "text": ""}
    cls = f"h{bucket(fraction)}"
    return {"item": item, "quiz": quiz, "label": label, "cls": cls, "mark": mark, "text": text}


def _heat_row(result: ClassResult, student: Student, quizzes: list[str], lang: str) -> dict:
    """One student's heatmap row: a cell per exercise and quiz topic, then the total."""
    name = clean(student.id, 100)
    found = _by_id(student)
    exercises = list(result.options.exercises)
    cells = []
    for exercise in exercises:
        item, entry = clean(exercise.id, 100), found.get(exercise.id)
        if entry is None:
            why = say("not_graded", lang)
            label = say("cell_missing", lang, student=name, item=item, reason=why)
            cells.append(_cell(item, False, label, None, "", ""))
            continue
        shown = {"score": points(entry.score), "max": points(entry.max_score)}
        status = status_label(entry.status, lang)
        label = say("cell_label", lang, student=name, item=item, status=status, **shown)
        fraction = _fraction(entry.score, entry.max_score)
        cells.append(_cell(item, False, label, fraction, MARKS[entry.status], shown["score"]))
    for topic in quizzes:
        item = clean(topic, 100)
        if topic not in student.quiz:
            why = say("no_quiz", lang)
            label = say("cell_missing", lang, student=name, item=item, reason=why)
            cells.append(_cell(item, True, label, None, "", ""))
            continue
        score, maximum = student.quiz[topic]
        shown = {"score": points(score), "max": points(maximum)}
        label = say("cell_quiz_label", lang, student=name, item=item, **shown)
        cells.append(_cell(item, True, label, _fraction(score, maximum), "", shown["score"]))
    grade = grade_of(student, result, result.policy)
    problem = say(f"problem_{student.problem}", lang) if student.problem else ""
    return {
        "student": name,
        "href": f"students/{quote(student.id, safe='')}/report.html" if student.run else "",
        "cells": cells,
        "total": points(grade.total) if student.run else "–",
        "max": points(grade.maximum),
        "notes": [clean(n, 300, lang) for n in grade.notes],
        "problem": problem,
        "error": clean(": ".join(p for p in (problem, student.error) if p), 300, lang),
    }


def _footer(result: ClassResult, lang: str) -> list[dict]:
    """Per exercise: how many graded students passed it, and the mean score."""
    graded = [s for s in result.students if s.run]
    footer = []
    for exercise in result.options.exercises:
        entries = [e for s in graded if (e := _by_id(s).get(exercise.id))]
        passed = sum(1 for e in entries if e.status == "passed")
        mean = statistics.fmean([e.score for e in entries]) if entries else 0.0
        footer.append({"passed": f"{passed}/{len(entries)}", "mean": points(mean)})
    return footer


def _histogram(percents: list[float], lang: str) -> dict:
    """Bars of the score distribution, with their geometry worked out (the template only draws)."""
    counts = [0] * BINS
    for value in percents:
        counts[min(BINS - 1, int(value // (100 / BINS)))] += 1
    c = CHART
    plot_w = c["width"] - c["left"] - c["right"]
    plot_h = c["height"] - c["top"] - c["bottom"]
    step = plot_w / BINS
    tallest = max(counts) or 1
    bars = []
    for index, count in enumerate(counts):
        low, high = index * 100 // BINS, (index + 1) * 100 // BINS - (index < BINS - 1)
        height = round(plot_h * count / tallest, 1)
        x = round(c["left"] + index * step + 2, 1)
        bars.append(
            {
                "x": x,
                "width": round(step - 4, 1),
                "y": round(c["top"] + plot_h - height, 1),
                "height": height,
                "count": count,
                "middle": round(x + (step - 4) / 2, 1),
                "label": say("bin_label", lang, count=count, low=low, high=high),
                "tick": f"{index * 100 // BINS}",
            }
        )
    return {
        "bars": bars,
        "base": c["top"] + plot_h,
        **c,
        "end": {"x": c["left"] + plot_w, "tick": "100"},
    }


def _diagnoses(result: ClassResult, lang: str) -> list[dict]:
    """For each exercise, its named mistakes by how many students made them, most first."""
    graded = [s for s in result.students if s.run]
    sections = []
    for exercise in result.options.exercises:
        seen: dict[str, list[str]] = {}
        for student in graded:
            entry = _by_id(student).get(exercise.id)
            checks = entry.checks if entry else []
            made = {c.mistake for c in checks if c.status in ("failed", "error") and c.mistake}
            for mistake in sorted(made):
                seen.setdefault(mistake, []).append(student.id)
        ranked = sorted(seen.items(), key=lambda item: (-len(item[1]), item[0]))
        sections.append(
            {
                "id": exercise.id,
                "title": clean(catalog.pick(exercise.title, lang), 300),
                "mistakes": [
                    {
                        "id": clean(mistake, 100),
                        "count": len(who),
                        "percent": round(100 * len(who) / len(graded)) if graded else 0,
                        "text": clean(
                            exercise.mistake(mistake, lang) if mistake in exercise.mistakes else ""
                        ),
                        "students": [clean(s, 100) for s in who[:LISTED]],
                        "more": max(0, len(who) - LISTED),
                    }
                    for mistake, who in ranked
                ],
            }
        )
    return sections


def _reteach(sections: list[dict], graded: int, lang: str) -> list[str]:
    """The most common mistakes of the whole class, across exercises."""
    found = [(m["count"], s["id"], m) for s in sections for m in s["mistakes"]]
    found.sort(key=lambda item: (-item[0], item[1], item[2]["id"]))
    return [
        say("reteach_item", lang, exercise=exercise, mistake=m["id"], count=count, graded=graded)
        + (f" — {m['text']}" if m["text"] else "")
        for count, exercise, m in found[:RETEACH]
    ]


def _identical(result: ClassResult) -> list[list[str]]:
    """Groups of students with the same files, among those who attempted something."""
    groups: dict[str, list[str]] = {}
    for student in result.students:
        tried = student.run and any(e.status != "not_started" for e in student.run.exercises)
        if tried:
            groups.setdefault(student.digest, []).append(clean(student.id, 100))
    return [names for names in groups.values() if len(names) > 1]


def ran_on(result: ClassResult) -> list[str]:
    """The devices checks really ran on in this class (not those asked for)."""
    seen = {
        "cuda" if c.device == "cuda" else "cpu"
        for s in result.students
        if s.run
        for e in s.run.exercises
        for c in e.checks
        if c.status != "skipped" and c.device in ("cpu", "cuda", "emulated")
    }
    return [d for d in ("cpu", "cuda") if d in seen]


def _similar(result: ClassResult) -> list[dict]:
    """Clusters of students with the same code for an exercise, cleaned for the page."""
    return [
        {
            "exercise": clean(c.exercise, 100),
            "students": [clean(s, 100) for s in c.students],
            "code": clean(c.code, 4000),
        }
        for c in clusters(result)
    ]


def class_context(result: ClassResult, lang: str = "en") -> dict[str, Any]:
    """Everything the class page shows, already cleaned: the template does no computing."""
    options = result.options
    exercises = list(options.exercises)
    topics = quiz_topics(result, lang)
    quizzes = list(topics)
    graded = [s for s in result.students if s.run]
    runs = [s.run for s in graded if s.run]  # the same students, narrowed for the type checker
    grades = [grade_of(s, result, result.policy) for s in graded]
    rows = [_heat_row(result, s, quizzes, lang) for s in result.students]
    percents = [100 * _fraction(g.total, g.maximum) for g in grades]
    sections = _diagnoses(result, lang)
    first = graded[0].run if graded else None
    notes = sorted({clean(n, lang=lang) for run in runs for n in run.notes})
    return {
        "lang": lang if lang in catalog.LANGUAGES else "en",
        "t": lambda key, **values: say(key, lang, **values),
        "count": len(result.students),
        "graded": len(graded),
        "errors": len(result.students) - len(graded),
        "mean": round(statistics.fmean(percents)) if percents else 0,
        "median": round(statistics.median(percents)) if percents else 0,
        "all_passed": sum(1 for run in runs if run.passed),
        "columns": [
            *(
                {
                    "id": clean(e.id, 100),
                    "title": clean(catalog.pick(e.title, lang), 300),
                    "quiz": False,
                }
                for e in exercises
            ),
            *(
                {"id": clean(q, 100), "title": clean(title, 300), "quiz": True}
                for q, title in topics.items()
            ),
        ],
        "rows": rows,
        "footer": _footer(result, lang),
        "quiz_count": len(quizzes),
        "histogram": _histogram(percents, lang) if percents else None,
        "diagnoses": sections,
        "reteach": _reteach(sections, len(graded), lang),
        "identical": _identical(result),
        "similar": _similar(result),
        "missing": sum(1 for s in result.students if s.problem),
        "notes_rows": [r for r in rows if r["notes"]],
        "meta": {
            "seed": say("seed_private", lang) if options.seed_private else options.seed,
            "devices": clean(", ".join(ran_on(result)), 80),
            "max_examples": options.max_examples,
            "timeout": points(options.limits.exercise_seconds),
            "exercises": len(exercises),
            "torch_version": clean(first.torch_version, 80) if first else "",
            "grader_version": clean(first.grader_version, 80) if first else "",
            "notes": notes,
        },
    }


def render_class(result: ClassResult, lang: str = "en") -> str:
    """The class page as text."""
    return environment().get_template("class.html.j2").render(**class_context(result, lang))


def write_class(result: ClassResult, out: Path) -> list[Path]:
    """Write the gradebook and the class page (each atomically); the paths written."""
    options = result.options
    out, page = Path(out), Path(out) / "class.html"
    written = write_gradebooks(result, out, options.formats, options.plain, options.anonymise)
    write_atomic(page, render_class(result, options.lang))
    return [*written, page]
