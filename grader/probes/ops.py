"""Which torch operations a learner's call ran: evidence for "write it by hand" rules.

Reading the source for `F.cross_entropy` misses `vars(F)["cross_entropy"]`, dead-looking
branches such as `if __name__ != "__main__":` and `lstm_with_cell = lambda lstm, x: lstm(x)`.
What runs cannot hide that way: a probe wraps the learner's call in `recording()`, which sees
every torch function called (a `TorchFunctionMode`: `cross_entropy`, `lstm`) and every ATen
kernel that executes below it (a `TorchDispatchMode`: `_log_softmax`, `nll_loss_forward`,
`mkldnn_rnn_layer`), however the learner reached them.

This runs in the worker, so the names it reports are a claim like any other answer: a learner
who removes the modes has tampered with the probe, which targets the grader, not the exercise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

MAX_NAMES = 500  # distinct names kept: enough for any exercise, bounded for any learner


class _Names:
    """A bounded set of operation names, in the order first seen."""

    def __init__(self) -> None:
        self.seen: dict[str, None] = {}

    def add(self, name: str) -> None:
        if len(self.seen) < MAX_NAMES:
            self.seen.setdefault(name, None)


def _function_name(func: Any) -> str:
    name = getattr(func, "__name__", None)
    return name if type(name) is str else type(func).__name__


class _Functions(TorchFunctionMode):
    """Records the torch-level functions called (torch.*, F.*, torch._VF.*, Tensor methods)."""

    def __init__(self, names: _Names) -> None:
        super().__init__()
        self.names = names

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.names.add(_function_name(func))
        return func(*args, **(kwargs or {}))


class _Kernels(TorchDispatchMode):
    """Records the ATen kernels that execute, after composite ops are decomposed."""

    def __init__(self, names: _Names) -> None:
        super().__init__()
        self.names = names

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.names.add(func.overloadpacket.__name__)
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def recording() -> Iterator[list[str]]:
    """Record the operations run inside the block; the list is filled when the block ends."""
    functions, kernels = _Names(), _Names()
    ran: list[str] = []
    try:
        with _Functions(functions), _Kernels(kernels):
            yield ran
    finally:
        ran.extend(functions.seen)
        ran.extend(f"aten.{name}" for name in kernels.seen)
