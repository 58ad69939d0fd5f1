"""The quiz's data model: topics, questions, a bank, and the text helpers they share.

Plain data with no I/O: the bank's loader (`bank.py`) and the answer keys (`keys.py`) both
build on it, so neither imports the other's module to know what a question is.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("single", "multiple", "truefalse", "exact", "predict")
FORMATS = ("shape", "int", "number", "numbers", "dtype", "text", "bool")
# Keys of an answers file that are settings, not question ids.
RESERVED_KEYS = ("seed", "student", "topics")
LABELS = "abcdefgh"
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
    # Phrases a bank leaves out come from here (the shipped bank's, for any other bank).
    fallback: dict = field(default_factory=dict)

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
        """One of the quiz's own phrases in `lang` (English, then `fallback`: the shipped bank's)."""
        for table in (self.phrases, self.fallback):
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
