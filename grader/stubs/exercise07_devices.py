"""Exercise 7 · Putting model and data on a device.

A model and the data it computes on must live on the same device (the CPU, or a GPU). Two
methods with the same name behave differently:

    >>> model = nn.Linear(3, 1)
    >>> model.to(device)          # a Module moves *in place* (and returns itself)
    >>> x = torch.rand(4, 3)
    >>> x.to(device)              # a Tensor does NOT move: this returns a tensor on device...
    >>> x = x.to(device)          # ...which you must keep

(When `x` is already on `device` with that dtype, `x.to(device)` returns `x` itself, not a
copy.) There is no `model.gpu()`, whatever some cheat sheets say: it is `model.to(device)` or
`model.cuda()`.

`x.cuda()` is `x.to("cuda")` hard-coded: it moves to the *current* CUDA device (GPU 0 unless
`torch.cuda.set_device` chose another), and fails on a machine without a GPU. Write code that
takes the device as an argument, so the same code runs on a CPU, a GPU or anything else
(PyTorch even has a "meta" device that stores shapes but no data).

Batches are rarely one tensor: a DataLoader yields tuples `(inputs, targets)`, dicts
`{"input_ids": ..., "mask": ...}`, or namedtuples. `to_device` moves every tensor inside such a
structure and gives back the *same kind* of structure:

    >>> Batch = namedtuple("Batch", ["x", "y"])
    >>> to_device({"a": [x, 3], "b": Batch(x, "id-7")}, device)
    {'a': [<x on device>, 3], 'b': Batch(x=<x on device>, y='id-7')}

Run `grade exercise7` to check your work, `grade hint exercise7` when stuck.
"""

from typing import Any

import torch
from torch import nn


def pick_device() -> torch.device:
    """`torch.device("cuda")` when CUDA is available, else `torch.device("cpu")`.

    Return a `torch.device`, not a string.
    """
    raise NotImplementedError


def to_device(obj: Any, device: torch.device | str) -> Any:
    """`obj` with every tensor inside it moved to `device` (a torch.device or a string).

    - a tensor: moved with `.to(device)` (works for every device, unlike `.cuda()`);
    - a dict, list, tuple or namedtuple: a new container of the *same type* (a tuple stays a
      tuple, a namedtuple stays that namedtuple, dict keys are kept), with `to_device` applied
      to each element, at any depth;
    - anything else (numbers, strings, None, other objects): returned as is.

    The input is not modified: no list, dict or tensor of `obj` is changed in place.
    """
    raise NotImplementedError


def prepare(model: nn.Module, batch: Any, device: torch.device | str) -> tuple[nn.Module, Any]:
    """The tuple `(model, batch)` ready to compute on `device`.

    The model with all its parameters and buffers moved to `device`, and the batch moved with
    `to_device`.
    """
    raise NotImplementedError
