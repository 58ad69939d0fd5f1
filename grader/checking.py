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
        fn.grader_check = CheckInfo(check_id, devices)
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


def show(value: Any, limit: int = 400) -> str:
    """A short readable rendering of a value, for messages and examples."""
    if type(value) is torch.Tensor:
        flags = f", dtype={str(value.dtype).removeprefix('torch.')}"
        if value.numel() <= 24:
            body = repr(value.tolist())
        else:
            body = f"<{value.numel()} values>"
        text = f"tensor({body}, shape={tuple(value.shape)}{flags})"
    elif type(value) is np.ndarray:
        body = repr(value.tolist()) if value.size <= 24 else f"<{value.size} values>"
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
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
        return abs(a - b) <= atol + rtol * abs(b) or (a != a and b != b)
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
    if callable(mistakes):  # predictions computed only when the answer is wrong
        mistakes = mistakes()
    mistake = which_mistake(got, mistakes or {}, rtol, atol)
    if type(got) is not type(want):
        detail = f"returned a {type_name(got)}, expected a {type_name(want)}"
    elif type(got) is torch.Tensor and got.shape != want.shape:
        detail = f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    elif type(got) is torch.Tensor and got.dtype != want.dtype:
        detail = f"dtype {got.dtype}, expected {want.dtype}"
    else:
        detail = "values differ"
    fail(
        f"{what}: {detail}.\n  expected: {show(want)}\n  got:      {show(got)}",
        expected=want,
        got=got,
        mistake=mistake,
        example=example,
    )


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
