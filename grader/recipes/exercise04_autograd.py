"""Recipes for exercise 4: the fixed table of functions whose gradients the learner computes.

Functions cannot travel to the worker, so a check names one of `FUNCTIONS` and its parameter
`a`; the probe hands the learner that function, and the check computes the reference gradient
from the same table.
"""

from collections.abc import Callable

import torch
from torch import Tensor

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
