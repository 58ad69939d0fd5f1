"""Exercise 4 · Dynamic graphs and eager execution.

PyTorch runs your code *eagerly*: every operation computes its result at once and, when one of
its inputs requires grad, records itself in a graph. The graph is therefore whatever your
Python code actually did this time, so ifs and loops on tensor values just work:

    >>> def f(x):
    ...     y = x
    ...     while y.norm() < 10:      # how often this runs depends on the values in x
    ...         y = y * 2
    ...     return (y * y).sum()
    >>> x = torch.tensor([1.0, 2.0])
    >>> gradient(f, x)                # here y = 8x (three doublings): d/dx sum(64 x^2) = 128 x
    tensor([128., 256.])

Four things to know:

* `y.backward()` adds (accumulates) d y / d leaf into `leaf.grad` of every leaf that requires
  grad; `torch.autograd.grad(y, leaf)` returns the gradient instead and touches no `.grad`.
* Some operations save tensors for their backward (`y * y` saves `y`), and a backward pass
  frees them. A second `backward()` through such a graph raises "Trying to backward through
  the graph a second time" unless the earlier calls passed `retain_graph=True`. (A graph that
  saved nothing, like that of `(x + 1).sum()`, goes back twice without complaint: do not rely
  on it.)
* `x.detach()` is a new tensor that shares `x`'s memory but has no history (and no `.grad`):
  not a copy. It is a leaf; `.requires_grad_()` then turns on recording for it, so that
  operations on it build a graph back to it.
* TensorFlow 1 built a static graph first and ran it later; TensorFlow 2, like PyTorch, runs
  eagerly by default (its `tf.function` compiles a graph, as `torch.compile` does here).

Run `grade exercise4` to check your work, `grade hint exercise4` when stuck.
"""

from collections.abc import Callable

import torch  # noqa: F401 - you will need torch.autograd
from torch import Tensor


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return d f(x) / dx, the gradient of the scalar `f(x)`, as a tensor shaped like `x`.

    `f` may use Python control flow on tensor values (ifs, while loops): the graph is recorded
    while `f` runs, so that is no obstacle.

    `x` is a leaf tensor of a float dtype on any device. It may or may not require grad, and it
    may already hold a `.grad` from earlier work. It must come back exactly as it came:
    `x.grad` stays what it was (None stays None, an existing gradient keeps its values),
    `x.requires_grad` is unchanged, and so are its values. The result has the dtype and device
    of `x` and does not require grad (it is a plain value, not part of any graph).
    """
    raise NotImplementedError


def accumulated_grad(f: Callable[[Tensor], Tensor], x: Tensor, times: int) -> Tensor:
    """Call `f` once, then run backward through that one graph `times` times (`times >= 1`).

    Each backward pass adds the gradient once more, so the result equals `times` times the
    gradient of `gradient(f, x)`. The graph must be built once only: call `f` exactly once
    (the grader counts the calls), and let the gradient flow back through it `times` times.
    Keep the graph alive until the last pass.

    As in `gradient`: `x` comes back unchanged (values, `.grad`, `.requires_grad`), and the
    result has the dtype and device of `x` and does not require grad.
    """
    raise NotImplementedError
