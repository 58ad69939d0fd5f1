"""Exercise 7 · Putting model and data on a device (reference solution)."""

from typing import Any

import torch
from torch import nn


def pick_device() -> torch.device:
    """`torch.device("cuda")` when CUDA is available, else `torch.device("cpu")`."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(obj: Any, device: torch.device | str) -> Any:
    """`obj` with every tensor inside moved to `device`, containers keeping their types."""
    if isinstance(obj, torch.Tensor):
        # .to returns a new tensor (or obj itself if it is already there): return that result.
        return obj.to(device)
    if isinstance(obj, dict):
        # type(obj) keeps dict subclasses such as OrderedDict; the input dict is not touched.
        return type(obj)((key, to_device(value, device)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        # A namedtuple's constructor takes one argument per field, not one iterable.
        return type(obj)(*(to_device(item, device) for item in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(item, device) for item in obj)
    # Numbers, strings, None and other objects have no device: hand them back unchanged.
    return obj


def prepare(model: nn.Module, batch: Any, device: torch.device | str) -> tuple[nn.Module, Any]:
    """The tuple `(model, batch)` ready to compute on `device`."""
    # Module.to moves parameters and buffers in place and returns the module itself...
    model.to(device)
    # ...while tensors are never moved in place: keep to_device's result.
    return model, to_device(batch, device)
