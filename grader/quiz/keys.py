"""Answer keys: reading an answer, drawing a learner's numbers, computing predict-the-output keys.

A key is the normal form of a right answer (a tuple for a shape, a float for a number, a letter
for a choice...); an answer is right when its normal form matches the key. Predict-the-output
keys are never written in the bank: each is computed by running the question's snippet in a
sandboxed worker with the installed torch, so a key never goes stale across torch versions, and
kept under the hash of its inputs (`keycache`) so that it is computed once, not per learner.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from grader.quiz import keycache
from grader.quiz.model import Bank, Question, pick
from grader.sandbox.limits import Limits

QUIZ_LIMITS = Limits(call_seconds=30.0, exercise_seconds=600.0)
TRUE_WORDS = {"true", "t", "yes", "y", "1", "对", "是", "正确", "真"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "错", "否", "错误", "假"}
_WRAPPER = re.compile(r"^(?:torch\.)?(?:size|tensor)\s*", re.IGNORECASE)
_KEYWORD = re.compile(r",\s*[a-z_]+\s*=\s*[^,\])]*", re.IGNORECASE)
_INT = re.compile(r"^[+-]?\d+$")
# torch's dtype names and aliases (torch.float is torch.float32), checked against torch by a test.
DTYPES = {
    "float": "float32",
    "float32": "float32",
    "double": "float64",
    "float64": "float64",
    "half": "float16",
    "float16": "float16",
    "bfloat16": "bfloat16",
    "int": "int32",
    "int32": "int32",
    "long": "int64",
    "int64": "int64",
    "short": "int16",
    "int16": "int16",
    "int8": "int8",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "bool": "bool",
    "cfloat": "complex64",
    "complex64": "complex64",
    "cdouble": "complex128",
    "complex128": "complex128",
    "chalf": "complex32",
    "complex32": "complex32",
}
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


class Malformed(ValueError):
    """An answer that cannot be read as the kind of answer asked for (not a wrong answer)."""

    def __init__(self, fmt: str, text: str, labels: str = "") -> None:
        """Remember the format asked for, the text given and the valid letters."""
        super().__init__(f"{text!r} cannot be read as a {fmt} answer")
        self.fmt = fmt
        self.text = text
        self.labels = labels


@dataclass(frozen=True)
class KeyFailure:
    """A key that could not be computed (a broken snippet): its question is graded as an error."""

    message: str


def seed_for_student(student: str) -> int:
    """A stable seed from a student id, so that neighbours get different variants."""
    digest = hashlib.sha256(student.strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def arithmetic(expression: str, values: dict[str, int]) -> int:
    """An integer expression of + - * // % over drawn numbers, evaluated without eval()."""

    def walk(node: ast.AST) -> int:
        """The value of one node of the expression."""
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"{expression!r}: only integers, drawn names and + - * // % are allowed")

    try:
        return walk(ast.parse(expression, mode="eval"))
    except (SyntaxError, ZeroDivisionError) as exc:
        raise ValueError(f"{expression!r} cannot be computed: {exc}") from None


def draw(question: Question, seed: int) -> dict[str, int]:
    """The numbers of this learner's variant: the same seed always draws the same ones."""
    rng = random.Random(f"{seed}/{question.id}")
    values = {name: rng.randint(low, high) for name, (low, high) in question.params.items()}
    for name, expression in question.derived.items():
        values[name] = arithmetic(expression, values)
    return values


@dataclass(frozen=True)
class Variant:
    """A question as one learner sees it: its drawn numbers filled in."""

    question: Question
    seed: int
    values: dict = field(default_factory=dict)

    def fill(self, text: str) -> str:
        """`text` with this variant's numbers in place of its `$placeholders`."""
        return Template(text).substitute(self.values)

    def prompt(self, lang: str) -> str:
        """The question text in `lang`."""
        return self.fill(pick(self.question.prompt, lang))

    def explain(self, lang: str) -> str:
        """The explanation shown after answering, in `lang`."""
        return self.fill(pick(self.question.explain, lang))

    @property
    def code(self) -> str:
        """The snippet shown (and, for predict questions, run)."""
        return self.fill(self.question.code)

    def stated_key(self) -> Any:
        """The key of a question whose answer the bank states (all but predict questions)."""
        answer = self.question.answer
        text = self.fill(answer) if isinstance(answer, str) else as_text(answer)
        return parse(self.question.answer_format, text, self.question.labels)

    def expected(self) -> Any:
        """The key a predict question's bank says its snippet gives (None if it says nothing)."""
        expect = self.question.expect
        if expect is None:
            return None
        text = self.fill(expect) if isinstance(expect, str) else as_text(expect)
        return parse(self.question.format, text)


def variant(question: Question, seed: int) -> Variant:
    """The variant of `question` for `seed`."""
    return Variant(question, seed, draw(question, seed))


def as_text(value: Any) -> str:
    """An answer given as a TOML value (string, bool, number, list) as the text it stands for."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(as_text(v) for v in value) + "]"
    raise Malformed("text", repr(value))


def _tokens(text: str) -> list[str]:
    """The comma- or space-separated items of a shape or list, without brackets or wrappers."""
    inner = _KEYWORD.sub("", _WRAPPER.sub("", text.strip()))
    return [t for t in re.split(r"[,\s]+", re.sub(r"[()\[\]]", " ", inner)) if t]


def _float(token: str, fmt: str, text: str) -> float:
    """One number of an answer; Malformed naming the whole answer when it is not one."""
    try:
        return float(token)
    except ValueError:
        raise Malformed(fmt, text) from None


def parse(fmt: str, text: str, labels: str = "") -> Any:
    """The normal form of an answer written as `text`; Malformed when it is not that kind."""
    text = text.strip()
    if fmt == "choice":
        letter = text.strip("()[]. ").lower()
        if len(letter) != 1 or letter not in labels:
            raise Malformed(fmt, text, labels)
        return letter
    if fmt == "choices":
        tokens = [t.strip("()[]. ") for t in re.split(r"[\s,;/]+", text.lower())]
        tokens = [t for t in tokens if t]
        if len(tokens) == 1 and len(tokens[0]) > 1:
            tokens = list(tokens[0])  # "ac" means a and c
        if not tokens or any(len(t) != 1 or t not in labels for t in tokens):
            raise Malformed(fmt, text, labels)
        return tuple(sorted(set(tokens)))
    if fmt == "bool":
        word = text.strip(" .!。！").lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise Malformed(fmt, text)
    if fmt == "shape":
        tokens = _tokens(text)
        if not all(_INT.match(t) and int(t) >= 0 for t in tokens) or not text:
            raise Malformed(fmt, text)
        return tuple(int(t) for t in tokens)
    if fmt in ("int", "number"):
        tokens = _tokens(text)
        if len(tokens) != 1:
            raise Malformed(fmt, text)
        number = _float(tokens[0], fmt, text)
        if fmt == "number":
            return number
        if not number.is_integer():
            raise Malformed(fmt, text)
        return int(number)
    if fmt == "numbers":
        tokens = _tokens(text)
        if not tokens:
            raise Malformed(fmt, text)
        return tuple(_float(t, fmt, text) for t in tokens)
    if fmt == "dtype":
        return _dtype(text)
    if not text:
        raise Malformed(fmt, text)
    return " ".join(text.split())


def _dtype(text: str) -> str:
    """The canonical name of a torch dtype (float32, torch.float and torch.float32 agree).

    Common names are read from a table, so that scoring an answers file needs no torch import
    (over a second); a rarer name is resolved by the installed torch.
    """
    name = text.strip("'\" ").lower().removeprefix("torch.")
    if name in DTYPES:
        return f"torch.{DTYPES[name]}"
    import torch  # only to resolve the name: no computation before the sandbox starts

    value = getattr(torch, name, None) if name and not name.startswith("_") else None
    if not isinstance(value, torch.dtype):
        raise Malformed("dtype", text)
    return str(value)


def from_value(fmt: str, value: Any) -> Any:
    """The key for what a snippet produced (plain data from the worker); ValueError if unfit."""
    if isinstance(value, str):
        return parse(fmt, value)
    kind = type(value)
    if fmt == "shape" and kind in (list, tuple) and all(type(v) is int for v in value):
        return tuple(value)
    if fmt == "int" and kind is int:
        return value
    if fmt == "number" and kind in (int, float):
        return float(value)
    if fmt == "numbers" and kind in (int, float, list, tuple):
        flat = _flatten(value)
        if all(type(v) in (int, float) for v in flat):
            return tuple(float(v) for v in flat)
    if fmt == "bool" and kind is bool:
        return value
    if fmt == "text" and kind in (bool, int, float):
        return str(value)
    raise ValueError(f"the snippet's value {value!r} is not a {fmt}")


def _flatten(value: Any) -> list:
    """The numbers of a nested list, in order."""
    if type(value) in (list, tuple):
        return [x for v in value for x in _flatten(v)]
    return [value]


def _close(a: float, b: float, tolerance: float) -> bool:
    """Equal within the question's absolute tolerance, or to float32 rounding."""
    return abs(a - b) <= tolerance or math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-12)


def same(question: Question, key: Any, given: Any) -> bool:
    """Whether the normal form `given` of an answer matches `key`."""
    fmt, tolerance = question.answer_format, question.tolerance
    if fmt == "number":
        return _close(key, given, tolerance)
    if fmt == "numbers":
        return len(key) == len(given) and all(
            _close(a, b, tolerance) for a, b in zip(key, given, strict=True)
        )
    if fmt == "text":
        return key.casefold() == given.casefold()
    return key == given


def show(fmt: str, key: Any) -> str:
    """A key written the way a learner would type it (and `parse` reads back)."""
    if fmt == "shape":
        return "(" + ", ".join(str(v) for v in key) + ("," if len(key) == 1 else "") + ")"
    if fmt == "numbers":
        return "[" + ", ".join(f"{v:g}" for v in key) + "]"
    if fmt == "number":
        return f"{key:.6g}"
    if fmt == "bool":
        return "true" if key else "false"
    if fmt == "choices":
        return ", ".join(key)
    return str(key)


def check_static_keys(bank: Bank, seeds: tuple[int, ...] = (0, 1, 2)) -> list[str]:
    """Problems with the answers and expectations the bank states (for a few variants)."""
    problems = []
    for question in bank.questions:
        for seed in seeds if question.parametric else (0,):
            where = f"question {question.id!r}" + (f" (seed {seed})" if question.parametric else "")
            try:
                v = variant(question, seed)
                if question.kind == "predict":
                    v.expected()
                    v.code  # noqa: B018 - fills the template, raising on a bad placeholder
                else:
                    v.stated_key()
                v.prompt("en")
                v.explain("en")
            except Malformed as exc:
                problems.append(f"{where}: its stated answer {exc.text!r} is not a {exc.fmt}")
                break
            except (ValueError, KeyError) as exc:
                problems.append(f"{where}: {exc}")
                break
    return problems


def compute_keys(
    variants: list[Variant], limits: Limits | None = None, server: Any = None
) -> list[Any]:
    """The key of each variant, in order; predict keys all come from ONE sandboxed worker.

    Only keys missing from the cache start it, from `server` (a `zygote.Zygote`), else from
    the process's shared fork server: no torch is imported when every key is stated or cached.
    """
    keys: list[Any] = [None] * len(variants)
    todo = []
    for index, v in enumerate(variants):
        if v.question.kind == "predict":
            todo.append(index)
        else:
            keys[index] = v.stated_key()
    if not todo:
        return keys
    cached = keycache.read()
    entries = {
        i: keycache.entry(
            variants[i].code, variants[i].question.format, variants[i].question.result
        )
        for i in todo
    }
    missing = []
    for index in todo:
        try:
            keys[index] = from_value(variants[index].question.format, cached[entries[index]])
        except (KeyError, ValueError, Malformed):
            missing.append(index)
    if not missing:
        return keys  # no worker, no torch: every snippet ran before with this torch
    from grader.engine import resources
    from grader.sandbox import zygote
    from grader.sandbox.proxy import Learner

    values: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="grade-quiz-") as folder:
        empty = Path(folder) / "quiz_snippets.py"
        empty.write_text("", encoding="utf-8")
        learner = Learner(
            file=empty,
            module="quiz_snippets",
            probes="grader.probes.quiz",
            limits=resources.worker_limits(limits or QUIZ_LIMITS),
            server=server or zygote.get(),
        )
        try:
            for index in missing:
                keys[index], value = _run(learner, variants[index])
                if value is not None:
                    values[entries[index]] = value
        finally:
            learner.close()
    if values:
        keycache.write(cached, values)
    return keys


def _run(learner: Any, v: Variant) -> tuple[Any, Any]:
    """One snippet's key (or a KeyFailure saying why there is none) and its value to cache."""
    from grader.sandbox.proxy import BadAnswer, ImportFailed, LearnerRaised, WorkerLost

    try:
        value = learner.probe("run_snippet", code=v.code, result=v.question.result)
        key = from_value(v.question.format, value)
    except LearnerRaised as exc:
        return KeyFailure(f"the snippet of {v.question.id} raised {exc}"), None
    except (WorkerLost, BadAnswer, ImportFailed, ValueError) as exc:
        return KeyFailure(f"no key for {v.question.id}: {exc}"), None
    try:
        stored = json.loads(json.dumps(value))  # tuples as lists: what the cache gives back
    except (TypeError, ValueError):  # not JSON (bytes, a tensor): computed again next time
        return key, None
    return (key, stored) if keycache.plain(stored) else (key, None)
