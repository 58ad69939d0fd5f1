"""What hidden check modules are written with: the @check marker, failures that teach, comparisons.

A check receives plain data from the learner's worker and judges it here, in the trusted
process. Comparisons insist on exact types first, so a tensor subclass or an object with a
lying `__eq__` can never pass: it cannot even cross the wire (see `sandbox.codec`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import torch

from grader.sandbox.proxy import LearnerRaised, Opaque

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


class CheckFailure(AssertionError):
    """A learner's answer is wrong: what was expected, what came back, and which mistake it is."""

    def __init__(
        self,
        message: str,
        *,
        expected: Any = None,
        got: Any = None,
        mistake: str | None = None,
        example: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expected = expected
        self.got = got
        self.mistake = mistake
        self.example = dict(example) if example else None


def fail(message: str, **details: Any) -> NoReturn:
    """Raise a CheckFailure (see its arguments)."""
    raise CheckFailure(message, **details)


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
            f"{what} should be a {wanted}, but it returned {type_name(got)}: {show(got, 120)}",
            expected=wanted,
            got=type_name(got),
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
        part = f"{what}{path}"
        fail(
            f"{what}: {part} differs ({_detail(got_part, want_part)}).\n"
            f"  expected: {show(want_part, 2000, 100)}\n"
            f"  got:      {show(got_part, 2000, 100)}",
            expected=want,
            got=got,
            mistake=mistake,
            example=example,
        )
    fail(
        f"{what}: {_detail(got, want)}.\n  expected: {show(want)}\n  got:      {show(got)}",
        expected=want,
        got=got,
        mistake=mistake,
        example=example,
    )


def _detail(got: Any, want: Any) -> str:
    """How two unequal values differ, in a few words."""
    if type(got) is not type(want):
        return f"returned a {type_name(got)}, expected a {type_name(want)}"
    if type(got) is torch.Tensor and got.shape != want.shape:
        return f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    if type(got) is torch.Tensor and got.dtype != want.dtype:
        return f"dtype {got.dtype}, expected {want.dtype}"
    if type(got) is dict and got.keys() != want.keys():
        missing, extra = (
            sorted(want.keys() - got.keys(), key=str),
            sorted(got.keys() - want.keys(), key=str),
        )
        return f"missing keys {missing}, unexpected keys {extra}"
    if type(got) in (list, tuple) and len(got) != len(want):
        return f"{len(got)} {plural(len(got), 'item')}, expected {len(want)}"
    return "values differ"


def plural(count: int, word: str, words: str | None = None) -> str:
    """`word` or its plural (`words`, default word + "s") as `count` asks: "1 sample", "2 samples"."""
    return word if count == 1 else (words or word + "s")


def probe_naming_errors(
    learner: Any, probe: str, example: Mapping, known_errors: Mapping[str, str], /, **kwargs: Any
) -> Any:
    """The probe's answer, or a failure naming the mistake that the learner's exception reveals.

    `known_errors` maps a text of an exception message (e.g. a dtype error that only one
    misconception raises) to that mistake's id; any other exception propagates.
    """
    try:
        return learner.probe(probe, **kwargs)
    except LearnerRaised as raised:
        for text, mistake in known_errors.items():
            if text in raised.message:
                where = f" (line {raised.line})" if raised.line else ""
                fail(
                    f"your code raised {raised.type_name}: {raised.message}{where}",
                    mistake=mistake,
                    example=example,
                )
        raise
