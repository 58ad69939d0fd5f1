"""The grader's generic words inside check messages, in the learner's language.

A check module's own words are data (`checking.messages`): its Message is rendered in the
learner's language whole, and the result keeps the text in every language (`CheckResult.texts`)
for `grade report --lang`. For the plain-str messages of older modules, the phrases that the
plugin itself adds to them (a skip reason, "not implemented yet", "your code raised", the "expected:" / "got:"
labels) are data in messages.toml, so a learner reading Chinese does not meet them in English.
Text that comes from the learner's code (an exception's own message) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from grader import catalog
from grader.engine import hints
from grader.results import RunResult

NOT_IMPLEMENTED = "not implemented yet: it still raises NotImplementedError"
_SKIPS = {
    "skipped: no CUDA device": "check_skipped_cuda",
    "skipped: needs 2 GPUs": "check_skipped_gpus",
}
_RAISED = re.compile(r"^your code raised (?P<error>[\w.]+): ", re.MULTILINE)
_LINE = re.compile(r" \(line (\d+)\)$")
_LABELS = re.compile(r"^(?P<indent>\s*)(?P<label>expected|got):(?P<pad> *)", re.MULTILINE)


def message(text: str, lang: str) -> str:
    """`text` with the grader's own phrases in `lang` (unchanged for English)."""
    worded = getattr(text, "worded", None)
    if callable(worded):  # a checking.Message: a check's words are data, rendered whole
        return worded(lang)  # a str in `lang` that keeps its texts in every language
    if lang == "en" or not text:
        return text
    if text in _SKIPS:
        return catalog.message(_SKIPS[text], lang)
    if text == NOT_IMPLEMENTED:
        return catalog.message("check_not_implemented", lang)
    raised = _RAISED.match(text)
    if raised:
        rest = _LINE.sub(lambda m: catalog.message("at_line", lang, line=m.group(1)), text)
        text = (
            catalog.message("check_learner_raised", lang, error=raised["error"])
            + rest[raised.end() :]
        )
    return _LABELS.sub(
        lambda m: f"{m.group('indent')}{catalog.message('label_' + m.group('label'), lang)} ",
        text,
    )


def run(stored: RunResult, lang: str, seen: Callable[[str], int] = lambda key: 0) -> RunResult:
    """A stored run re-worded in `lang` from the catalog, for `grade report --lang`.

    Titles, check titles, diagnoses and hints come from the catalog in `lang`, and the
    grader's phrases in messages are translated, so a page written from results graded in
    another language speaks one language. Exercises outside the catalog are left as they are.
    """
    worded = []
    for exercise_result in stored.exercises:
        try:
            exercise = catalog.find(exercise_result.id)
        except (LookupError, catalog.CatalogError):
            worded.append(exercise_result)
            continue
        titles = {spec.id: catalog.pick(spec.title, lang) for spec in exercise.checks}
        checks = [
            replace(
                c,
                title=titles.get(c.name, c.title),
                message=c.texts.get(lang) or message(c.message, lang),
                diagnosis=exercise.mistake(c.mistake, lang)
                if c.mistake in exercise.mistakes
                else c.diagnosis,
            )
            for c in exercise_result.checks
        ]
        again = replace(
            exercise_result,
            title=catalog.pick(exercise.title, lang),
            checks=checks,
            reason=message(exercise_result.reason, lang),
        )
        again.hint = hints.choose(exercise, again, lang, seen)
        worded.append(again)
    return replace(stored, exercises=worded)
