"""Probe for the concept quiz: runs a predict-the-output snippet from the bank in the worker.

The snippet is trusted code from the question bank; it runs here, with the installed torch, so
that the key of a predict-the-output question is what this torch really does. The trusted side
still reads the answer strictly (plain data only) and turns it into a key itself.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import torch


def plain(value: Any) -> Any:
    """`value` as plain data: shapes as tuples, dtypes as text, tensors as (nested) numbers."""
    if isinstance(value, torch.Size):
        return tuple(int(v) for v in value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.item() if value.dim() == 0 else value.tolist()
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a NumPy scalar
        return value.item()
    return str(value)


def probe_run_snippet(module: Any, code: str, result: str = "answer") -> Any:
    """Run `code` in a fresh namespace; the variable `result` as plain data, or what it printed."""
    namespace: dict[str, Any] = {"__name__": "__quiz__"}
    printed = io.StringIO()
    torch.manual_seed(0)
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<quiz snippet>", "exec"), namespace)  # noqa: S102 - bank code, trusted
    if result == "stdout":
        return printed.getvalue()
    if result not in namespace:
        raise NameError(f"the snippet does not set {result!r}")
    return plain(namespace[result])
