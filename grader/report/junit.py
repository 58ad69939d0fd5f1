"""JUnit XML (the Jenkins/Ant format CI servers read): one testsuite per exercise, one testcase
per check and device."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.report.html import clean, details, phrase
from grader.results import ExerciseResult, RunResult, write_atomic

# Characters XML 1.0 cannot hold at all, even escaped.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """Text that XML 1.0 can hold: forbidden characters become visible \\xNN escapes."""
    return _FORBIDDEN.sub(lambda m: f"\\x{ord(m.group()):02x}", "" if text is None else str(text))


def _element(parent: ET.Element, tag: str, text: str = "", **attributes: object) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text:
        node.text = xml_text(text)
    return node


def _first_line(text: str, limit: int = 200) -> str:
    line = clean(text, 4 * limit).split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _suite(root: ET.Element, exercise: ExerciseResult, run: RunResult, lang: str) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suite = _element(root, "testsuite", name=exercise.id)
    properties = _element(suite, "properties")
    for name, value in (
        ("title", exercise.title),
        ("status", exercise.status),
        ("score", f"{exercise.score:g}"),
        ("max_score", f"{exercise.max_score:g}"),
        ("seed", run.seed if run.seed is not None else "private"),
        ("torch_version", run.torch_version),
        ("grader_version", run.grader_version),
    ):
        _element(properties, "property", name=name, value=clean(value, 500))
    hint = exercise.hint if exercise.status != "passed" else ""
    for check in exercise.checks:
        counts["tests"] += 1
        case = _element(
            suite, "testcase", classname=exercise.id, name=f"{check.name} [{check.device}]"
        )
        if check.status == "failed":
            counts["failures"] += 1
            _element(
                case,
                "failure",
                details(check, lang, hint),
                message=_first_line(check.message),
                type=check.mistake or "failed",
            )
        elif check.status == "error":
            counts["errors"] += 1
            _element(
                case,
                "error",
                details(check, lang, hint),
                message=_first_line(check.message),
                type=check.message.split(":", 1)[0][:40] or "error",
            )
        elif check.status == "skipped":
            counts["skipped"] += 1
            reason = clean(check.message, 500) or phrase("skipped_no_reason", lang)
            _element(case, "skipped", reason, message=_first_line(reason))
    if not exercise.checks and exercise.status != "passed":
        # Nothing ran (not started, or lost before any check): one case carries the verdict.
        counts["tests"] += 1
        case = _element(suite, "testcase", classname=exercise.id, name="exercise [any]")
        reason = exercise.reason or phrase(f"status_{exercise.status}", lang)
        text = "\n".join(p for p in (clean(reason, lang=lang), clean(hint, lang=lang)) if p)
        if exercise.status == "error":
            counts["errors"] += 1
            kind = exercise.reason.split(":", 1)[0][:40] or "error"
            _element(case, "error", text, message=_first_line(reason), type=kind)
        else:
            counts["failures"] += 1
            _element(case, "failure", text, message=_first_line(reason), type=exercise.status)
    if exercise.output:
        _element(suite, "system-out", clean(exercise.output, lang=lang, tail=True))
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{max(exercise.duration, 0.0):.3f}")
    return counts


def build(run: RunResult, lang: str = "en") -> ET.Element:
    """The <testsuites> element of a run."""
    root = ET.Element("testsuites", {"name": "torch-grader"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for exercise in run.exercises:
        counts = _suite(root, exercise, run, lang)
        for key in totals:
            totals[key] += counts[key]
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{max(run.duration, 0.0):.3f}")
    return root


def to_xml(run: RunResult, lang: str = "en") -> str:
    """The JUnit XML document as text."""
    root = build(run, lang)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(run: RunResult, path: Path, lang: str = "en") -> None:
    """Write the JUnit XML of a run to `path` atomically."""
    write_atomic(Path(path), to_xml(run, lang))
