"""Exercise 4 · Dynamic graphs and eager execution (reference solution)."""

from collections.abc import Callable

import torch
from torch import Tensor


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return d f(x) / dx without touching `x`'s `.grad` or `.requires_grad`."""
    # A fresh leaf that shares x's data but not its history or flags: whatever we do to it
    # (requires_grad_, backward) leaves the caller's x exactly as it was.
    leaf = x.detach().requires_grad_(True)
    # f runs eagerly; its ifs and loops decide which operations get recorded this time.
    y = f(leaf)
    # autograd.grad returns the gradient instead of accumulating it into leaf.grad, and without
    # create_graph the result is a plain tensor that does not require grad.
    (grad,) = torch.autograd.grad(y, leaf)
    return grad


def accumulated_grad(f: Callable[[Tensor], Tensor], x: Tensor, times: int) -> Tensor:
    """Run backward `times` times through one graph of `f(x)`; the accumulated gradient."""
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)  # the graph is built here, once
    for i in range(times):
        # backward frees the graph's saved tensors unless told to keep them; the last pass
        # may free them, so only the earlier ones retain the graph.
        y.backward(retain_graph=i < times - 1)
    # Each pass added the same gradient into leaf.grad: it now holds times x the gradient.
    return leaf.grad
