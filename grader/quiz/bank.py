"""The quiz's question bank: topics, questions and phrases as data (`bank.toml`), validated.

The bank ships inside the grader package, never in the learner's folder. An instructor can use a
private bank instead (`grade quiz --bank PATH` or `$GRADE_QUIZ_BANK`); the shipped phrases stay
the fallback for any phrase a private bank leaves out.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

from grader import course
from grader.quiz import keys
from grader.quiz.model import (
    FORMATS,
    KINDS,
    LABELS,
    RESERVED_KEYS,
    Bank,
    BankError,
    Question,
    Topic,
    placeholders,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_FILE = PACKAGE_DIR / "bank.toml"
BANK_ENV = "GRADE_QUIZ_BANK"
_ID = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def bank_path(option: Path | None = None) -> Path:
    """The bank in use: the --bank option, else the private checks folder's, else the shipped."""
    if option is not None:
        return Path(option)
    return course.current().quiz_bank or BANK_FILE


def _text(entry: dict, key: str, where: str, problems: list[str]) -> dict:
    """A learner-facing text as {lang: text}; English is required."""
    value = entry.get(key)
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, dict) or not isinstance(value.get("en"), str) or not value["en"]:
        problems.append(f"{where}: {key!r} needs English text (a string, or a table with 'en')")
        return {"en": ""}
    return value


def _params(entry: dict, where: str, problems: list[str]) -> tuple[dict, dict]:
    """The drawn ranges and derived expressions of a parametric question."""
    params: dict[str, tuple[int, int]] = {}
    for name, bounds in dict(entry.get("params", {})).items():
        ok = isinstance(bounds, list) and len(bounds) == 2
        ok = ok and all(type(b) is int for b in bounds) and bounds[0] <= bounds[1]
        if not ok or not _NAME.match(name):
            problems.append(f"{where}: params.{name} should be [low, high], two integers")
            continue
        params[name] = (bounds[0], bounds[1])
    derived = dict(entry.get("derived", {}))
    for name, expression in derived.items():
        if not isinstance(expression, str) or not _NAME.match(name):
            problems.append(f"{where}: derived.{name} should be an arithmetic expression string")
    return params, derived


def _question(entry: dict, topics: set[str], problems: list[str]) -> Question | None:
    """One [[questions]] entry, checked field by field (problems are appended, not raised)."""
    where = f"question {entry.get('id', '?')!r}"
    qid, topic, kind = entry.get("id"), entry.get("topic"), entry.get("kind")
    if not isinstance(qid, str) or not _ID.match(qid) or qid in RESERVED_KEYS:
        problems.append(f"{where}: 'id' should be lowercase words joined by '-' (not a setting)")
        return None
    if topic not in topics:
        problems.append(f"{where}: topic {topic!r} is not one of the [topics.*] tables")
    if kind not in KINDS:
        problems.append(f"{where}: kind {kind!r} should be one of {', '.join(KINDS)}")
        return None
    params, derived = _params(entry, where, problems)
    choices = entry.get("choices", [])
    if kind in ("single", "multiple"):
        if not isinstance(choices, list) or not 2 <= len(choices) <= len(LABELS):
            problems.append(f"{where}: needs 2 to {len(LABELS)} choices")
            choices = []
        choices = [
            _text({"c": c}, "c", f"{where} choice {i + 1}", problems) for i, c in enumerate(choices)
        ]
    fmt = entry.get("format", "")
    if kind in ("exact", "predict") and fmt not in FORMATS:
        problems.append(f"{where}: format {fmt!r} should be one of {', '.join(FORMATS)}")
    if kind == "predict":
        if not isinstance(entry.get("code"), str) or not entry["code"].strip():
            problems.append(f"{where}: a predict question needs its snippet in 'code'")
        if not _NAME.match(str(entry.get("result", "answer"))):
            problems.append(f"{where}: 'result' should be a variable name, or 'stdout'")
    elif "answer" not in entry:
        problems.append(f"{where}: missing 'answer'")
    tolerance = entry.get("tolerance", 0.0)
    if type(tolerance) not in (int, float) or tolerance < 0:
        problems.append(f"{where}: 'tolerance' should be a number >= 0")
        tolerance = 0.0
    question = Question(
        id=qid,
        topic=str(topic),
        kind=kind,
        prompt=_text(entry, "prompt", where, problems),
        explain=_text(entry, "explain", where, problems),
        choices=tuple(choices),
        answer=entry.get("answer"),
        format=fmt,
        code=str(entry.get("code", "")),
        result=str(entry.get("result", "answer")),
        expect=entry.get("expect"),
        params=params,
        derived=derived,
        tolerance=float(tolerance),
    )
    known = set(params) | set(derived)
    for text in _templates(question):
        for name in sorted(placeholders(text) - known):
            problems.append(f"{where}: ${name} is used but not in params or derived")
    return question


def _templates(question: Question) -> list[str]:
    """Every text of a question that is filled in with the drawn numbers (`$$` is a dollar)."""
    texts = [question.code, *question.prompt.values(), *question.explain.values()]
    texts += [str(v) for v in (question.answer, question.expect) if isinstance(v, str)]
    return texts


def parse(text: str, path: Path) -> Bank:
    """A bank from its TOML text; BankError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BankError(f"the quiz bank {path} is not valid TOML: {exc}") from None
    problems: list[str] = []
    topics = tuple(
        Topic(tid, _text(entry, "title", f"topic {tid!r}", problems))
        for tid, entry in dict(data.get("topics", {})).items()
        if isinstance(entry, dict)
    )
    for topic in topics:
        if not _ID.match(topic.id):
            problems.append(f"topic {topic.id!r}: ids are lowercase words joined by '-'")
    questions = []
    seen: set[str] = set()
    for entry in data.get("questions", []):
        question = _question(entry, {t.id for t in topics}, problems)
        if question is None:
            continue
        if question.id in seen:
            problems.append(f"question {question.id!r}: the id is used twice")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        problems.append("the bank has no [[questions]]")
    phrases = dict(data.get("phrases", {}))
    fallback = {} if Path(path) == BANK_FILE else shipped().phrases
    bank = Bank(Path(path), topics, tuple(questions), phrases, fallback)
    if not problems:
        problems.extend(keys.check_static_keys(bank))
    if problems:
        raise BankError(f"the quiz bank {path} has problems:\n  " + "\n  ".join(problems))
    return bank


@cache
def shipped() -> Bank:
    """The bank that ships with the grader (read once: it is the fallback for phrases)."""
    return load(BANK_FILE)


def load(path: Path | None = None) -> Bank:
    """The bank at `path` (default: the one in use, see `bank_path`); BankError if unusable.

    A private checks folder's bank (`grade --checks DIR`) is a layer: its topics replace the
    shipped topics of the same id, with their questions, and the other shipped topics stay.
    """
    layer = path is None and _private_bank() == bank_path()
    path = bank_path(path) if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BankError(f"cannot read the quiz bank {path}: {exc.strerror or exc}") from None
    bank = parse(text, path)
    return layered(bank) if layer else bank


def _private_bank() -> Path | None:
    return course.current().quiz_bank


def layered(private: Bank) -> Bank:
    """The shipped bank with the topics of `private` in place of those of the same id."""
    base = shipped()
    mine = {t.id for t in private.topics}
    asked = {q.id for q in private.questions}
    replaced = {t.id: t for t in private.topics}
    known = {t.id for t in base.topics}
    topics = [replaced.get(t.id, t) for t in base.topics]
    topics += [t for t in private.topics if t.id not in known]
    questions = [q for q in base.questions if q.topic not in mine and q.id not in asked]
    everything = (*questions, *private.questions)
    return Bank(private.path, tuple(topics), everything, private.phrases, base.phrases)
