"""Probes for exercise 4: the learner's gradients of functions from a fixed table.

Functions cannot travel, so a check names one of `FUNCTIONS` and its parameter `a`; the probe
hands the learner a wrapper that counts how often it is called and how many backward passes
go through the graph it built. The checks compute the reference gradient themselves from the
same table (`grader.recipes.exercise04_autograd`, which both sides import).
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get, tensor_facts
from grader.recipes.exercise04_autograd import FUNCTIONS


def _counted(name: str, a: float) -> tuple[Callable[[Tensor], Tensor], dict]:
    """The table's function `name` as f(x), and the counts of its calls and backward passes."""
    counts = {"calls": 0, "backwards": 0}
    fn = FUNCTIONS[name]

    def on_backward(grad: Tensor) -> None:
        counts["backwards"] += 1

    def f(x: Tensor) -> Tensor:
        counts["calls"] += 1
        y = fn(x, a)
        if isinstance(y, torch.Tensor) and y.requires_grad:
            y.register_hook(on_backward)
        return y

    return f, counts


def _leaf(x: Tensor, requires_grad: bool, old_grad: Tensor | None, device: str) -> Tensor:
    """x on `device` as a leaf with the requested flag and existing .grad."""
    leaf = x.to(device).detach().requires_grad_(requires_grad)
    if old_grad is not None:
        leaf.grad = old_grad.to(device)
    return leaf


def _facts(out: Any, x: Tensor, counts: dict) -> dict:
    """What came back and what became of x and of the graph, as plain data."""
    return {
        "value": out.detach().clone() if type(out) is torch.Tensor else out,
        "result": tensor_facts(out),
        "x_value": x.detach().clone(),
        "x_requires_grad": bool(x.requires_grad),
        "x_grad": None if x.grad is None else x.grad.detach().clone(),
        "calls": counts["calls"],
        "backwards": counts["backwards"],
    }


def probe_gradient(
    module: Any,
    fn: str,
    a: float,
    x: Tensor,
    requires_grad: bool,
    old_grad: Tensor | None,
    device: str,
) -> dict:
    """gradient(f, x) for f = FUNCTIONS[fn] with parameter a, and what happened to x."""
    leaf = _leaf(x, requires_grad, old_grad, device)
    f, counts = _counted(fn, a)
    out = get(module, "gradient")(f, leaf)
    return _facts(out, leaf, counts)


def probe_accumulated_grad(
    module: Any,
    fn: str,
    a: float,
    x: Tensor,
    requires_grad: bool,
    old_grad: Tensor | None,
    times: int,
    device: str,
) -> dict:
    """accumulated_grad(f, x, times), how often f ran and backward went through its graph."""
    leaf = _leaf(x, requires_grad, old_grad, device)
    f, counts = _counted(fn, a)
    out = get(module, "accumulated_grad")(f, leaf, times)
    return _facts(out, leaf, counts)
