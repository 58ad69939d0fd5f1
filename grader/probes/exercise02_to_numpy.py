"""Probes for exercise 2: arrays from tensors (and back), and what the call did to its input."""

from typing import Any

import numpy as np
import torch

from grader.probes.common import *  # noqa: F403
from grader.probes.common import emulated_cuda, get


def _make_input(values: torch.Tensor, requires_grad: bool, leaf: bool, device: str) -> Any:
    """`values` on `device` as a plain tensor, a leaf that requires grad, or a non-leaf."""
    base = values.to(device)
    if not requires_grad:
        return base
    weight = base.clone().requires_grad_(True)
    return weight if leaf else weight.clone()


def _array_facts(out: Any, t: torch.Tensor, before: torch.Tensor, on_cpu: bool) -> dict:
    """The result (copied before anything writes into it) and whether it aliases `t`."""
    facts = {"value": out, "shares_memory": False, "write_changes_input": False}
    if type(out) is not np.ndarray:
        return facts
    facts["value"] = out.copy()
    if on_cpu and t.device.type == "cpu":
        facts["shares_memory"] = bool(np.shares_memory(out, t.detach().numpy()))
    if out.size:
        try:
            out[(0,) * out.ndim] += 1
        except (TypeError, ValueError):
            pass
        facts["write_changes_input"] = not torch.equal(t.detach().cpu(), before)
    return facts


def probe_to_numpy(
    module: Any,
    function: str,
    values: torch.Tensor,
    requires_grad: bool,
    leaf: bool,
    device: str,
) -> dict:
    """Call to_numpy or to_numpy_copy on a tensor built from `values`; report what came back.

    Besides the result: the input's flags, device and values after the call, and whether the
    array shares memory with the input (or writing into it changes the input).
    """
    t = _make_input(values, requires_grad, leaf, device)
    before = t.detach().cpu().clone()
    out = get(module, function)(t)
    after = {
        "requires_grad": bool(t.requires_grad),
        "is_leaf": bool(t.is_leaf),
        "device": t.device.type,
        "unchanged": bool(torch.equal(t.detach().cpu(), before)),
    }
    return {**after, **_array_facts(out, t, before, on_cpu=True)}


def probe_to_numpy_emulated(
    module: Any, function: str, values: torch.Tensor, requires_grad: bool, leaf: bool
) -> dict:
    """Call to_numpy or to_numpy_copy on an emulated CUDA tensor (see `emulated_cuda`)."""
    t = emulated_cuda(_make_input(values, requires_grad, leaf, "cpu"))
    with torch._C.DisableTorchFunctionSubclass():
        before = t.detach().clone()
    out = get(module, function)(t)
    with torch._C.DisableTorchFunctionSubclass():
        requires = bool(t.requires_grad)
        unchanged = bool(torch.equal(t.detach(), before))
    value = out.copy() if type(out) is np.ndarray else out
    return {"value": value, "requires_grad": requires, "unchanged": unchanged}


def probe_from_numpy(module: Any, values: torch.Tensor, device: str, how: str) -> dict:
    """Call from_numpy on `values` as a NumPy array, passing `device` as `how` says.

    `how`: "default" (no device argument), "str", "keyword" or "torch.device". The result's
    device, dtype and shape are reported as well as its values (a meta tensor has none).
    """
    a = values.numpy()
    fn = get(module, "from_numpy")
    if how == "default":
        out = fn(a)
    elif how == "keyword":
        out = fn(a, device=device)
    elif how == "torch.device":
        out = fn(a, torch.device(device))
    else:
        out = fn(a, device)
    if not isinstance(out, torch.Tensor):
        return {"value": out, "device": None, "dtype": None, "shape": None}
    return {
        "value": None if out.device.type == "meta" else out,
        "device": out.device.type,
        "dtype": str(out.dtype).removeprefix("torch."),
        "shape": list(out.shape),
    }
