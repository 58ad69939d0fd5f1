"""Probes for exercise 4: the learner's gradients of functions from a fixed table.

Functions cannot travel, so a check names one of `FUNCTIONS` and its parameter `a`; the probe
hands the learner a wrapper that counts how often it is called and how many backward passes
go through the graph it built. The checks compute the reference gradient themselves from the
same table (this module is trusted code; the trusted process imports it as well).
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get, tensor_facts

MAX_DOUBLINGS = 64


def cubic(x: Tensor, a: float) -> Tensor:
    """(a * x ** 3 - x).sum()"""
    return (a * x**3 - x).sum()


def sin_times_x(x: Tensor, a: float) -> Tensor:
    """a * (x.sin() * x).sum()"""
    return a * (x.sin() * x).sum()


def double_until_big(x: Tensor, a: float) -> Tensor:
    """y = x; while y.norm() < 10: y = y * 2; then a * (y * y).sum()"""
    y = x
    steps = 0
    # Bounded, so that an all-zero x cannot loop forever.
    while y.norm() < 10 and steps < MAX_DOUBLINGS:
        y = y * 2
        steps += 1
    return a * (y * y).sum()


def branch_on_sum(x: Tensor, a: float) -> Tensor:
    """if x.sum() > 0: a * (x ** 2).sum(), else: (a * x).exp().sum()"""
    if x.sum() > 0:
        return a * (x**2).sum()
    return (a * x).exp().sum()


def branch_per_element(x: Tensor, a: float) -> Tensor:
    """sum over elements v of x: a * v * v if v > 0 else v.sin()"""
    total = x.new_zeros(())
    for v in x.flatten():
        total = total + (a * v * v if v > 0 else v.sin())
    return total


def tanh_loop_by_value(x: Tensor, a: float) -> Tensor:
    """k = int(x.abs().sum()) % 4 + 1; y = x; k times: y = torch.tanh(a * y); then (y * x).sum()"""
    k = int(x.abs().sum().item()) % 4 + 1
    y = x
    for _ in range(k):
        y = torch.tanh(a * y)
    return (y * x).sum()


FUNCTIONS: dict[str, Callable[[Tensor, float], Tensor]] = {
    fn.__name__: fn
    for fn in (
        cubic,
        sin_times_x,
        double_until_big,
        branch_on_sum,
        branch_per_element,
        tanh_loop_by_value,
    )
}


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
