"""One language per page: under --lang zh no learner-facing English is reached.

The pages are built the way a learner meets them: stubs and missing files (answered by
parsing), and checks whose records carry the grader's own phrases (not implemented, a learner
exception, skipped for want of a device), scored through `run.score`. Code and identifiers
aside, any run of two English words on the page is a failure.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest

from grader import catalog
from grader.engine import run
from grader.engine.plugin import Record
from grader.report import html, localize, terminal
from grader.results import ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent
# Names of Python types read the same in Chinese text.
TERMS = re.compile(r"\bPython (float|int|list|tuple|dict)\b")
ENGLISH = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,})+\b")
# Code: `quoted`, a "quoted error message", a tuple of names (inputs, targets), an identifier
# with _ . or ( in it, a CamelCase name.
CODE = re.compile(
    r"`[^`]*`|\"[^\"\n]*\"|\((?:\w+, )+\w+\)"
    r"|\b[\w.]*[_.(][\w.()\[\]'\"]*|\b[A-Z][a-z]+[A-Z]\w*\b"
)


class Text(HTMLParser):
    """The text of a page a reader sees: no tags, style, code or attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in ("style", "code", "pre", "title")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "code", "pre", "title")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def english(text: str) -> list[str]:
    prose = CODE.sub(" ", TERMS.sub(" ", text))
    return [m.group() for m in ENGLISH.finditer(prose)]


def zh_run() -> RunResult:
    exercises = []
    for exercise in catalog.exercises()[:4]:
        records = []
        for number, spec in enumerate(exercise.checks):
            kind = number % 4
            if kind == 0:
                records.append(Record(spec.id, "cpu", "failed", localize.NOT_IMPLEMENTED))
            elif kind == 1:
                message = "your code raised ValueError: expected a batch of one (line 7)"
                records.append(Record(spec.id, "cpu", "failed", message, line=7))
            elif kind == 2:
                records.append(Record(spec.id, "cpu", "passed"))
            else:
                records.append(Record(spec.id, "any", "skipped", "skipped: needs 2 GPUs"))
            records.append(Record(spec.id, "cuda", "skipped", "skipped: no CUDA device"))
        checks = run.score(exercise, records, "zh")
        status, reason = "failed", ""
        result = ExerciseResult(
            id=exercise.id,
            title=catalog.pick(exercise.title, "zh"),
            status=status,
            reason=reason,
            checks=checks,
        )
        exercises.append(result)
    stub = catalog.exercises()[4]
    exercises.append(
        ExerciseResult(id=stub.id, title=catalog.pick(stub.title, "zh"), status="not_started")
    )
    graded = RunResult(exercises=exercises, devices=["cpu", "cuda"])
    return localize.run(graded, "zh")


def test_the_zh_terminal_has_no_english_prose() -> None:
    graded = zh_run()
    files = {e.id: f"exercises/{catalog.find(e.id).file}" for e in graded.exercises}
    text = click.unstyle(terminal.render(graded, "zh", files))
    found = english(text)
    assert not found, found


def test_the_zh_html_report_has_no_english_prose() -> None:
    page = Text()
    page.feed(html.render(zh_run(), "zh"))
    found = english("\n".join(page.parts))
    assert not found, found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_report_of_results_graded_in_the_other_language_speaks_one(lang: str) -> None:
    other = "en" if lang == "zh" else "zh"
    exercise = catalog.find("exercise1")
    checks = run.score(
        exercise, [Record("add_batch_dim_shape", "cpu", "failed", mistake="unsqueeze_last")], other
    )
    stored = RunResult(
        exercises=[
            ExerciseResult(
                id="exercise1",
                title=catalog.pick(exercise.title, other),
                status="failed",
                checks=checks,
            )
        ]
    )
    again = localize.run(stored, lang)
    result = again.exercises[0]
    assert result.title == catalog.pick(exercise.title, lang)
    assert result.checks[0].title == catalog.pick(exercise.check("add_batch_dim_shape").title, lang)
    assert result.checks[0].diagnosis == exercise.mistake("unsqueeze_last", lang)
    assert exercise.hint(1, lang, "add_batch_dim") in result.hint


def test_every_concept_has_a_chinese_name_unless_it_is_code() -> None:
    from grader.quiz import bank

    concepts = {c for e in catalog.exercises() for c in e.concepts}
    concepts |= {t.id for t in bank.load().topics}
    # Prose names (lower case words) need a translation; code names (DataLoader, state_dict,
    # nn.Module) read the same in both languages.
    prose = [c for c in sorted(concepts) if re.fullmatch(r"[a-z -]+", c)]
    missing = [c for c in prose if html.concept_name(c, "zh") == c]
    assert not missing, missing


# Check modules whose words are data (checking.messages): their own texts and the grader's.
MESSAGE_FILES = [
    ROOT / "grader" / "checking.toml",
    *sorted((ROOT / "grader/checks").glob("*.toml")),
]


@pytest.mark.parametrize("path", MESSAGE_FILES, ids=lambda p: p.stem)
def test_every_check_message_in_chinese_has_no_english_prose(path: Path) -> None:
    from grader.checking import load_messages, placeholders

    found = {}
    for key, entry in load_messages(path).entries.items():
        # Fields are code or values: a number stands in for each.
        text = entry["zh"].format_map({name: "1" for name in placeholders(entry["zh"])})
        if english(text):
            found[key] = english(text)
    assert not found, found


# Mistakes of modules on say() that fail without a learner exception (whose own message, from
# torch or Python, is English and is shown as it came).
GRADED_IN_ZH = {
    "exercise1": "mistake_unsqueeze_last.py",
    "exercise2": "mistake_copy_shares.py",
    "exercise3": "mistake_epoch_no_train_mode.py",
    "exercise4": "mistake_backward_on_x.py",
}


@pytest.mark.slow
def test_a_graded_failure_of_a_module_on_say_has_no_english_prose_under_zh(
    tmp_path: Path,
) -> None:
    from grader.engine.run import RunOptions, grade

    chosen = tuple(catalog.find(id) for id in GRADED_IN_ZH)
    for exercise in chosen:
        source = ROOT / "tests" / "submissions" / exercise.id / GRADED_IN_ZH[exercise.id]
        (tmp_path / exercise.file).write_bytes(source.read_bytes())
    graded = grade(RunOptions(workspace=tmp_path, exercises=chosen, device="cpu", lang="zh"))
    failed = [c for e in graded.exercises for c in e.checks if c.status == "failed"]
    assert {e.id for e in graded.exercises if e.status == "failed"} == set(GRADED_IN_ZH)
    for check in failed:
        assert check.texts.keys() == {"en", "zh"}, check.name  # re-wordable from the results
        assert not english(check.message), (check.name, check.message)
    files = {e.id: e.id for e in graded.exercises}
    text = click.unstyle(terminal.render(localize.run(graded, "zh"), "zh", files))
    for check in failed:  # an example is code: `name = value` lines
        for line in check.example.splitlines():
            text = text.replace(line.strip(), "")
    assert not english(text), english(text)


def test_a_stored_check_message_is_reworded_in_the_other_language() -> None:
    import json

    from grader import results
    from grader.checking import CheckFailure, Code, messages

    say = messages(str(ROOT / "grader" / "checks" / "exercise01_squeeze.py"))
    failure = CheckFailure(say("copy_not_view"), expected=Code("True"), got=Code("False"))
    exercise = catalog.find("exercise1")
    record = Record("add_batch_dim_view", "cpu", "failed", failure.said(), "copy_not_view")
    graded = RunResult(
        exercises=[
            ExerciseResult(
                id="exercise1",
                title=catalog.pick(exercise.title, "zh"),
                status="failed",
                checks=[
                    c for c in run.score(exercise, [record], "zh") if c.name == record.check_id
                ],
            )
        ]
    )
    stored = json.loads(results.to_json(graded))
    assert "副本" in stored["exercises"][0]["checks"][0]["message"]
    again = localize.run(results.from_dict(stored), "en").exercises[0].checks[0]
    assert again.message == failure.said().render("en")
    assert again.message.endswith("expected: True\n  got:      False")
    # Results written before `texts` existed still load, and keep their message.
    del stored["exercises"][0]["checks"][0]["texts"]
    old = localize.run(results.from_dict(stored), "en").exercises[0].checks[0]
    assert old.texts == {} and "副本" in old.message
