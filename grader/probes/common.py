"""Trusted helpers that run inside a worker, next to learner code, and return plain data.

A probe module per exercise (`grader/probes/<exercise file stem>.py`) does
`from grader.probes.common import *` and adds `probe_<name>(module, **kwargs)` functions.
Anything a probe returns is re-checked on the trusted side: probes gather evidence, they do
not judge.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "get",
    "to_device",
    "probe_call",
    "probe_defined",
    "tensor_facts",
    "emulated_cuda",
    "EmulatedCuda",
]


def get(module: Any, name: str) -> Any:
    """The learner's `name`, or an AttributeError that says the file does not define it."""
    try:
        return getattr(module, name)
    except AttributeError:
        raise AttributeError(f"your file does not define {name!r}") from None


def to_device(value: Any, device: str | None) -> Any:
    """Move every tensor in a nested list/tuple/dict to `device` (None: leave as is)."""
    if device is None:
        return value
    if type(value) is torch.Tensor:
        return value.to(device)
    if type(value) in (list, tuple):
        return type(value)(to_device(v, device) for v in value)
    if type(value) is dict:
        return {k: to_device(v, device) for k, v in value.items()}
    return value


def tensor_facts(value: Any) -> dict:
    """Device, grad flags and leaf-ness of a value that should be a tensor."""
    if not isinstance(value, torch.Tensor):
        return {"is_tensor": False}
    return {
        "is_tensor": True,
        "device": value.device.type,
        "requires_grad": bool(value.requires_grad),
        "is_leaf": bool(value.is_leaf),
        "has_grad": value.grad is not None if value.is_leaf else False,
    }


def probe_call(
    module: Any, name: str, args: tuple = (), kwargs: dict | None = None, device: str | None = None
) -> Any:
    """Call the learner's function `name` with `args` moved to `device`; return its result."""
    return get(module, name)(*to_device(tuple(args), device), **to_device(kwargs or {}, device))


def probe_defined(module: Any, names: list[str]) -> dict:
    """Which of `names` the learner's module defines."""
    return {n: hasattr(module, n) for n in names}


class EmulatedCuda(torch.Tensor):
    """A CPU tensor that acts like a CUDA tensor where the difference teaches something.

    `device` says cuda:0, `.numpy()` and `np.asarray` refuse as on a real GPU, and `.cpu()` or
    `.to("cpu")` return an ordinary CPU copy. Checks use it to catch device mistakes (a missing
    `.cpu()`) on machines without CUDA; results that rely on it are labelled "emulated".
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        getter = (
            getattr(func, "__self__", None) if getattr(func, "__name__", "") == "__get__" else None
        )
        if getter is torch._C.TensorBase.device:
            return torch.device("cuda", 0)
        if getter is torch._C.TensorBase.is_cuda:
            return True
        if func is torch.Tensor.numpy and kwargs.get("force"):  # copies, like a real GPU tensor
            with torch._C.DisableTorchFunctionSubclass():
                return args[0].detach().clone().numpy()
        if func in (torch.Tensor.numpy, torch.Tensor.__array__):
            raise TypeError(
                "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() "
                "to copy the tensor to host memory first."
            )
        if func is torch.Tensor.cpu or (func is torch.Tensor.to and _to_cpu(args[1:], kwargs)):
            # A real device-to-host copy: new memory, still part of the autograd graph.
            with torch._C.DisableTorchFunctionSubclass():
                copy = args[0].clone()
            return copy.as_subclass(torch.Tensor)
        return super().__torch_function__(func, types, args, kwargs)


def _to_cpu(args: tuple, kwargs: dict) -> bool:
    target = kwargs.get("device", args[0] if args else None)
    if isinstance(target, (str, torch.device)):
        return torch.device(target).type == "cpu"
    return False


def emulated_cuda(t: torch.Tensor) -> torch.Tensor:
    """`t` as an EmulatedCuda tensor (sharing its data, keeping requires_grad)."""
    return t.as_subclass(EmulatedCuda)
