"""The quiz's question bank: topics, questions and phrases as data (`bank.toml`), validated.

The bank ships inside the grader package, never in the learner's folder. An instructor can use a
private bank instead (`grade quiz --bank PATH` or `$GRADE_QUIZ_BANK`); the shipped phrases stay
the fallback for any phrase a private bank leaves out.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from grader import course

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_FILE = PACKAGE_DIR / "bank.toml"
BANK_ENV = "GRADE_QUIZ_BANK"
KINDS = ("single", "multiple", "truefalse", "exact", "predict")
FORMATS = ("shape", "int", "number", "numbers", "dtype", "text", "bool")
# Keys of an answers file that are settings, not question ids.
RESERVED_KEYS = ("seed", "student", "topics")
LABELS = "abcdefgh"
_ID = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PLACEHOLDER = re.compile(r"\$(?:(\$)|([_A-Za-z][_A-Za-z0-9]*)|\{([_A-Za-z][_A-Za-z0-9]*)\})")


class BankError(Exception):
    """The question bank is missing, not TOML, or has a malformed entry.

    Cause: a typo or missing field in the bank (the message names each question and field).
    Remedy: fix those entries; every problem is listed at once.
    """


@dataclass(frozen=True)
class Topic:
    """A group of questions, graded as one item `quiz:<id>`."""

    id: str
    title: dict


@dataclass(frozen=True)
class Question:
    """One question as the bank states it (numbers of a parametric one still `$placeholders`)."""

    id: str
    topic: str
    kind: str
    prompt: dict
    explain: dict
    choices: tuple[dict, ...] = ()
    answer: Any = None
    format: str = ""
    code: str = ""
    result: str = "answer"
    expect: Any = None
    params: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    tolerance: float = 0.0

    @property
    def parametric(self) -> bool:
        """Whether each learner gets their own numbers."""
        return bool(self.params)

    @property
    def labels(self) -> str:
        """The letters naming the choices."""
        return LABELS[: len(self.choices)]

    @property
    def answer_format(self) -> str:
        """How an answer to this question is read: a format, or choice/choices for letters."""
        return {"single": "choice", "multiple": "choices", "truefalse": "bool"}.get(
            self.kind, self.format
        )


@dataclass(frozen=True)
class Bank:
    """Every topic and question of one bank file."""

    path: Path
    topics: tuple[Topic, ...]
    questions: tuple[Question, ...]
    phrases: dict = field(default_factory=dict)

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id, or LookupError naming the closest ids."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        ids = [t.id for t in self.topics]
        close = difflib.get_close_matches(topic_id, ids, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise LookupError(f"Unknown quiz topic {topic_id!r}.{hint} Topics: {', '.join(ids)}.")

    def find(self, question_id: str) -> Question:
        """The question with this id, or LookupError naming the closest id."""
        for question in self.questions:
            if question.id == question_id:
                return question
        close = difflib.get_close_matches(question_id, [q.id for q in self.questions], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise LookupError(f"unknown question id {question_id!r}.{hint}")

    def of_topics(self, topic_ids: list[str] | None) -> list[Question]:
        """The questions of these topics (all when None), in bank order."""
        wanted = {self.topic(t).id for t in topic_ids} if topic_ids else None
        return [q for q in self.questions if wanted is None or q.topic in wanted]

    def phrase(self, key: str, lang: str = "en", **values: object) -> str:
        """One of the quiz's own phrases in `lang` (English, then the shipped bank, as fallback)."""
        sources = [self.phrases] if self.path == BANK_FILE else [self.phrases, shipped().phrases]
        for table in sources:
            for code in (lang, "en"):
                text = table.get(code, {}).get(key)
                if text:
                    return text.format(**values)
        raise KeyError(f"the quiz bank has no phrase {key!r}")


def pick(text: dict | str, lang: str) -> str:
    """The text in `lang`, falling back to English."""
    if isinstance(text, str):
        return text
    return text.get(lang) or text["en"]


def placeholders(text: str) -> set[str]:
    """The `$name` placeholders of a template (`$$` is a literal dollar)."""
    return {m.group(2) or m.group(3) for m in PLACEHOLDER.finditer(text) if not m.group(1)}


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
    bank = Bank(Path(path), topics, tuple(questions), dict(data.get("phrases", {})))
    if not problems:
        from grader.quiz import keys  # keys reads questions; imported here to avoid a cycle

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
    return Bank(private.path, tuple(topics), (*questions, *private.questions), private.phrases)
