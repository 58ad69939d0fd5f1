"""What hidden check modules are written with: the @check marker, failures that teach, comparisons.

A check receives plain data from the learner's worker and judges it here, in the trusted
process. Comparisons insist on exact types first, so a tensor subclass or an object with a
lying `__eq__` can never pass: it cannot even cross the wire (see `sandbox.codec`).

Every learner-facing word of a check is data: `say = messages(__name__)` reads the module's
sibling `<module>.toml` (one table per key, with `en` and `zh`), and `say(key, **fields)` is
the message, in every language at once. `fail(say(...), expected=X, got=Y)` leaves the
"expected:" / "got:" lines to the grader, which writes them from `show()` with labels in the
learner's language. See docs/authoring.md.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch

from grader.sandbox.proxy import LearnerRaised, Opaque

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

LANGUAGES = ("en", "zh")
DEVICE_MODES = ("any", "all", "emulated", "source")


@dataclass(frozen=True)
class CheckInfo:
    """How the runner treats a check function: its catalog id and where it runs."""

    id: str
    devices: str


def check(check_id: str, devices: str = "any") -> Callable:
    """Mark a test function as the catalog check `check_id`.

    `devices`: "all" runs it once per device of the run (it then takes a `device` argument),
    "any" once (device-independent), "emulated" / "source" once, labelled as such in results.
    """
    if devices not in DEVICE_MODES:
        raise ValueError(f"devices must be one of {DEVICE_MODES}, got {devices!r}")

    def mark(fn: Callable) -> Callable:
        fn.grader_check = CheckInfo(check_id, devices)  # type: ignore[attr-defined]  # a function takes attributes; Callable cannot say so
        return fn

    return mark


class MessageError(LookupError):
    """A check's message data is wrong: a key, a field or a language is missing (names the file)."""


_FORMATTER = string.Formatter()
FieldValue = str | int | float


def placeholders(text: str) -> set[str]:
    """The `{name}` fields a message text asks for."""
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


@dataclass(frozen=True)
class MessageFile:
    """One `<module>.toml`: for each key, the text in every language."""

    path: Path
    entries: Mapping[str, Mapping[str, str]]

    def text(self, key: str, lang: str, fields: Mapping[str, Any]) -> str:
        """The message `key` in `lang` (English where `lang` is unknown), fields filled in."""
        entry = self.entries.get(key)
        if entry is None:
            raise MessageError(f"message {key!r} is not in {self.path}")
        worded = {
            name: value.render(lang) if isinstance(value, Message) else value
            for name, value in fields.items()
        }
        return entry.get(lang, entry["en"]).format_map(worded)


@cache
def load_messages(path: Path) -> MessageFile:
    """A message file, checked: each key has a text per language, with the same placeholders."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MessageError(f"no message file {path} (a check module's words live there)") from None
    entries: dict[str, dict[str, str]] = {}
    for key, entry in data.items():
        where = f"{path}: [{key}]"
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise MessageError(f"{where} must have exactly the texts {LANGUAGES}")
        if not all(isinstance(text, str) and text for text in entry.values()):
            raise MessageError(f"{where}: every text is a non-empty string")
        asked = {lang: placeholders(text) for lang, text in entry.items()}
        if len({frozenset(names) for names in asked.values()}) != 1:
            raise MessageError(f"{where}: the languages use different placeholders {asked}")
        entries[key] = dict(entry)
    return MessageFile(path, entries)


class Message(str):
    """A check's message: it reads as its English text, and `render(lang)` gives any language.

    Made by `say(key, **fields)`; usable wherever a message str is. Fields are plain data
    (str, int, float: `show(x)` for a tensor) or other Messages, worded in the same language.
    """

    file: MessageFile
    key: str
    fields: dict[str, Any]

    def __new__(cls, file: MessageFile, key: str, fields: Mapping[str, Any]) -> Message:
        entry = file.entries.get(key)
        if entry is None:
            raise MessageError(f"message {key!r} is not in {file.path}")
        for name, value in fields.items():
            if not isinstance(value, (str, int, float)):  # Message is a str; bool an int
                raise MessageError(
                    f"message {key!r} of {file.path}: field {name!r} is a {type(value).__name__};"
                    " pass plain str/int/float (show(x) for a tensor)"
                )
        asked = placeholders(entry["en"])
        if asked != set(fields):
            raise MessageError(
                f"message {key!r} of {file.path} takes the fields {sorted(asked)},"
                f" not {sorted(fields)}"
            )
        self = super().__new__(cls, file.text(key, "en", fields))
        self.file, self.key, self.fields = file, key, dict(fields)
        return self

    def render(self, lang: str) -> str:
        """The text in `lang`."""
        return self.file.text(self.key, lang, self.fields)

    def texts(self) -> dict[str, str]:
        """The text in every language, as results store it for `grade report --lang`."""
        return {lang: self.render(lang) for lang in LANGUAGES}

    def worded(self, lang: str) -> Worded:
        """The text in `lang`, still knowing its other languages."""
        return Worded(self.render(lang), self.texts())

    def __reduce__(self) -> tuple:
        return (_message_again, (str(self.file.path), self.key, self.fields))


class Worded(str):
    """A message rendered in one language that keeps its `texts` in all (see CheckResult)."""

    texts: dict[str, str]

    def __new__(cls, text: str, texts: Mapping[str, str]) -> Worded:
        self = super().__new__(cls, text)
        self.texts = dict(texts)
        return self

    def __reduce__(self) -> tuple:
        return (Worded, (str(self), self.texts))


def _message_again(path: str, key: str, fields: dict[str, Any]) -> Message:
    return Message(load_messages(Path(path)), key, fields)


class Say:
    """`say(key, **fields)`: the message `key` of one module's message file (see `messages`)."""

    def __init__(self, file: MessageFile) -> None:
        self.file = file

    def __call__(self, key: str, /, **fields: FieldValue | Message) -> Message:
        return Message(self.file, key, fields)

    @property
    def keys(self) -> set[str]:
        """The keys of the message file."""
        return set(self.file.entries)


def message_file(module: str) -> Path:
    """The message file of a module, given its `__name__` (imported) or its `__file__`."""
    if module.endswith(".py"):
        return Path(module).with_suffix(".toml")
    loaded = sys.modules.get(module)
    where = getattr(loaded, "__file__", None)
    if where is None:  # executed without being registered: the calling module's own file
        caller = sys._getframe(2).f_globals
        where = caller.get("__file__") if caller.get("__name__") == module else None
    if where is None:
        raise MessageError(f"module {module!r} is not imported from a file: pass its __file__")
    return Path(where).with_suffix(".toml")


def messages(module: str) -> Say:
    """`say` for a check module: `say = messages(__name__)` at its top.

    The words live next to the module, in the same stem with `.toml` (a private checks
    folder's modules too): one table per key, `en` and `zh` texts with the same `{fields}`.
    A missing file or a malformed table fails here, at import; a missing key at its first use.
    """
    return Say(load_messages(message_file(module)))


say = messages(__file__)  # the checking module's own words, grader/checking.toml

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()


class CheckFailure(AssertionError):
    """A learner's answer is wrong: what was expected, what came back, and which mistake it is.

    `expected` / `got` (when given) are shown by the grader under the message, each on its own
    labelled line, written with `show()`; a Message or Code value is shown as its text.
    """

    def __init__(
        self,
        message: str,
        *,
        expected: Any = ABSENT,
        got: Any = ABSENT,
        mistake: str | None = None,
        example: Mapping[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.expected = expected
        self.got = got
        self.mistake = mistake
        self.example = dict(example) if example else None
        super().__init__(self.said())

    def said(self) -> str:
        """The message with its expected/got lines: a Message when the check's words are data.

        A plain-str message (a module not yet on `say`) is returned as it is, since such
        modules still write their "expected:" / "got:" lines by hand.
        """
        if not isinstance(self.message, Message):
            return self.message
        shown = {
            name: value if isinstance(value, Message) else show(value, 2000, 100)
            for name, value in (("expected", self.expected), ("got", self.got))
            if value is not ABSENT
        }
        key = {
            ("expected", "got"): "with_expected_got",
            ("expected",): "with_expected",
            ("got",): "with_got",
        }.get(tuple(shown))
        return say(key, message=self.message, **shown) if key else self.message


def fail(message: str, **details: Any) -> NoReturn:
    """Raise a CheckFailure (see its arguments)."""
    raise CheckFailure(message, **details)


class Code(str):
    """Text shown as code (an example value, an expected type), without the quotes of a str's repr."""

    def __repr__(self) -> str:
        return str(self)


def tolerance(device: str, *, convolution: bool = False) -> tuple[float, float]:
    """(rtol, atol) for float results computed on `device` against a CPU reference.

    Accelerators reorder sums (and may use TF32 for matrix products); `convolution=True` is
    for results through convolutions and deep stacks of layers, looser on every device.
    """
    if convolution:
        return (1e-4, 1e-5) if device == "cpu" else (2e-3, 2e-3)
    return (1e-5, 1e-6) if device == "cpu" else (1e-3, 1e-5)


def show(value: Any, limit: int = 400, values: int = 24) -> str:
    """A short readable rendering of a value, for messages and examples.

    Tensors and arrays of up to `values` elements are written out; a text longer than `limit`
    is cut after a whole item (never mid-number) and says so with "...".
    """
    if type(value) is torch.Tensor:
        flags = f", dtype={str(value.dtype).removeprefix('torch.')}"
        if value.numel() <= values:
            body = repr(value.tolist())
        else:
            body = f"<{value.numel()} values>"
        text = f"tensor({body}, shape={tuple(value.shape)}{flags})"
    elif type(value) is np.ndarray:
        body = repr(value.tolist()) if value.size <= values else f"<{value.size} values>"
        text = f"array({body}, shape={value.shape}, dtype={value.dtype})"
    elif isinstance(value, Opaque):
        text = repr(value)
    elif type(value) is dict:
        text = "{" + ", ".join(f"{k!r}: {show(v, 80)}" for k, v in value.items()) + "}"
    elif type(value) in (list, tuple):
        inner = ", ".join(show(v, 80) for v in value)
        text = f"[{inner}]" if type(value) is list else f"({inner}{',' if len(value) == 1 else ''})"
    else:
        text = repr(value)
    if len(text) <= limit:
        return text
    cut = text.rfind(", ", 0, limit - 5)
    cut = cut if cut > 0 else text.rfind(" ", 0, limit - 5)
    return (text[:cut] if cut > 0 else text[: limit - 5]) + ", ..."


def difference(
    got: Any, want: Any, rtol: float = 1e-5, atol: float = 1e-6
) -> tuple[str, Any, Any] | None:
    """Where `got` first differs from `want`: (path, got's part, want's part), or None.

    The path names the key or index, as code would reach it (`['fc.weight']`, `[2]`), so that
    a message can say which parameter differs and show that part whole; "" when the values
    differ as a whole (another type, length or set of keys).
    """
    if same(got, want, rtol, atol):
        return None
    if type(got) is dict and type(want) is dict and got.keys() == want.keys():
        for key in want:
            found = difference(got[key], want[key], rtol, atol)
            if found is not None:
                return (f"[{key!r}]" + found[0], *found[1:])
    if type(got) is type(want) and type(want) in (list, tuple) and len(got) == len(want):
        for index, (mine, theirs) in enumerate(zip(got, want, strict=True)):
            found = difference(mine, theirs, rtol, atol)
            if found is not None:
                return (f"[{index}]" + found[0], *found[1:])
    return "", got, want


def type_name(value: Any) -> str:
    """What a learner returned, in words."""
    if isinstance(value, Opaque):
        return value.type_name
    kind = type(value)
    return (
        "torch.Tensor"
        if kind is torch.Tensor
        else ("numpy.ndarray" if kind is np.ndarray else kind.__name__)
    )


def expect_type(got: Any, kind: type, what: str, example: Mapping | None = None) -> Any:
    """`got` if its type is exactly `kind`, else a failure naming both types."""
    if type(got) is not kind:
        wanted = (
            "torch.Tensor"
            if kind is torch.Tensor
            else ("numpy.ndarray" if kind is np.ndarray else kind.__name__)
        )
        fail(
            say("wrong_type", what=what, wanted=wanted, kind=type_name(got)),
            expected=Code(wanted),
            got=got,
            example=example,
        )
    return got


def same(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Structural equality of plain data: exact types, shapes and dtypes; floats within tolerance."""
    if type(a) is not type(b):
        return False
    if type(a) is torch.Tensor:
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.is_floating_point() or a.is_complex():
            return bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
        return bool(torch.equal(a, b))
    if type(a) is np.ndarray:
        return (
            same(
                torch.from_numpy(np.ascontiguousarray(a)),
                torch.from_numpy(np.ascontiguousarray(b)),
                rtol,
                atol,
            )
            if a.dtype == b.dtype and a.dtype != object
            else False
        )
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol, atol) for k in a)
    if type(a) is float:
        if a == b or (a != a and b != b):  # equal (infinities too), or both NaN
            return True
        # An infinity would make the tolerance infinite: infinities are equal only by ==.
        return abs(b) != float("inf") and abs(a - b) <= atol + rtol * abs(b)
    return a == b


def which_mistake(
    got: Any,
    candidates: Mapping[str, Any] | Iterable[tuple[str, Any]],
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> str | None:
    """The first named mistake whose predicted answer equals `got`, if any."""
    items = candidates.items() if isinstance(candidates, Mapping) else candidates
    for name, predicted in items:
        if predicted is not None and same(got, predicted, rtol, atol):
            return name
    return None


def expect_same(
    got: Any,
    want: Any,
    what: str,
    *,
    example: Mapping | None = None,
    mistakes: Mapping[str, Any] | Iterable[tuple[str, Any]] | Callable[[], Any] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Fail unless `got` equals `want`; name the mistake whose prediction `got` matches."""
    if same(got, want, rtol, atol):
        return
    # predictions computed only when the answer is wrong
    predictions = mistakes() if callable(mistakes) else mistakes
    mistake = which_mistake(got, predictions or {}, rtol, atol)
    path, got_part, want_part = difference(got, want, rtol, atol) or ("", got, want)
    if path:
        # Name the parameter, key or index that differs and show that part whole.
        message = say(
            "differs_at", what=what, part=f"{what}{path}", detail=detail(got_part, want_part)
        )
    else:
        message = say("differs", what=what, detail=detail(got, want))
    fail(message, expected=want_part, got=got_part, mistake=mistake, example=example)


def detail(got: Any, want: Any) -> Message:
    """How two unequal values differ, in a few words."""
    if type(got) is not type(want):
        return say("detail_type", got=type_name(got), want=type_name(want))
    if type(got) is torch.Tensor and got.shape != want.shape:
        return say("detail_shape", got=str(tuple(got.shape)), want=str(tuple(want.shape)))
    if type(got) is torch.Tensor and got.dtype != want.dtype:
        return say("detail_dtype", got=str(got.dtype), want=str(want.dtype))
    if type(got) is dict and got.keys() != want.keys():
        missing, extra = (
            sorted(want.keys() - got.keys(), key=str),
            sorted(got.keys() - want.keys(), key=str),
        )
        return say("detail_keys", missing=str(missing), extra=str(extra))
    if type(got) in (list, tuple) and len(got) != len(want):
        key = "detail_length_one" if len(got) == 1 else "detail_length"
        return say(key, got=len(got), want=len(want))
    return say("detail_values")


def plural(count: int, word: str, words: str | None = None) -> str:
    """`word` or its plural (`words`, default word + "s") as `count` asks: "1 sample", "2 samples"."""
    return word if count == 1 else (words or word + "s")


def raised(error: LearnerRaised) -> Message:
    """What a learner's exception said, in the learner's language: type, message and line."""
    if error.line:
        return say("raised_at_line", error=error.type_name, text=error.message, line=error.line)
    return say("raised", error=error.type_name, text=error.message)


def probe_naming_errors(
    learner: Any, probe: str, example: Mapping, known_errors: Mapping[str, str], /, **kwargs: Any
) -> Any:
    """The probe's answer, or a failure naming the mistake that the learner's exception reveals.

    `known_errors` maps a text of an exception message (e.g. a dtype error that only one
    misconception raises), or an exception type name (`"ValueError"`, matched with `is_a`), to
    that mistake's id; any other exception propagates (the grader reports it as it is).
    """
    try:
        return learner.probe(probe, **kwargs)
    except LearnerRaised as error:
        for text, mistake in known_errors.items():
            if text in error.message or (text.isidentifier() and error.is_a(text)):
                fail(raised(error), mistake=mistake, example=example)
        raise
