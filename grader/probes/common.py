"""Trusted helpers that run inside a worker, next to learner code, and return plain data.

A probe module per exercise (`grader/probes/<exercise file stem>.py`) does
`from grader.probes.common import *` and adds `probe_<name>(module, **kwargs)` functions.
Anything a probe returns is re-checked on the trusted side: probes gather evidence, they do
not judge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten, tree_map

__all__ = [
    "get",
    "to_device",
    "probe_call",
    "probe_defined",
    "tensor_facts",
    "emulated_cuda",
    "emulated_cuda_module",
    "emulating_cuda",
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
            if func is torch.Tensor.to:  # and the dtype it may ask for
                return copy.as_subclass(torch.Tensor).to(*args[1:], **kwargs)
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


def emulated_cuda_module(module: nn.Module) -> nn.Module:
    """`module` with every parameter and buffer on the emulated GPU (in place; returned).

    Like `module.to("cuda")` on a real GPU: `next(module.parameters()).device` says cuda:0,
    its outputs are on the emulated GPU, and the parameters are still the module's parameters
    (`isinstance(p, nn.Parameter)`, same `requires_grad`).
    """
    for sub in module.modules():
        for name, param in list(sub._parameters.items()):
            if param is not None and not isinstance(param, EmulatedCuda):
                moved = nn.Parameter(emulated_cuda(param.detach()), param.requires_grad)
                sub._parameters[name] = moved
        for name, buf in list(sub._buffers.items()):
            if buf is not None and not isinstance(buf, EmulatedCuda):
                sub._buffers[name] = emulated_cuda(buf)
    return module


# Functions that take a CPU tensor alongside a CUDA one on a real GPU too: indexing with CPU
# indices, copies between devices, conversions.
_MIXING_ALLOWED = frozenset(
    {
        torch.Tensor.__getitem__,
        torch.Tensor.__setitem__,
        torch.Tensor.copy_,
        torch.Tensor.to,
        torch.Tensor.cpu,
        torch.Tensor.cuda,
        torch.Tensor.type_as,
        torch.Tensor.new_tensor,
        torch.as_tensor,
        torch.tensor,
    }
)


def _is_cuda(device: Any) -> bool:
    """Whether a `device=` argument names the (one) emulated GPU; another GPU index raises."""
    if isinstance(device, int) and not isinstance(device, bool):
        device = torch.device("cuda", device)
    if not isinstance(device, (str, torch.device)):
        return False
    device = torch.device(device)
    if device.type != "cuda":
        return False
    if device.index not in (None, 0):
        raise RuntimeError("CUDA error: invalid device ordinal")
    return True


def _on_emulated_gpu(value: Any, fresh: bool) -> Any:
    """Tensors in `value` as EmulatedCuda (copies unless `fresh`: a real transfer copies)."""

    def move(t: Any) -> Any:
        if type(t) is not torch.Tensor and type(t) is not nn.Parameter:
            return t
        return (t if fresh else t.clone()).as_subclass(EmulatedCuda)

    return tree_map(move, value)


class _EmulatingCuda(TorchFunctionMode):
    """The machine side of the emulated GPU (see `emulating_cuda`)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        if func is torch.Tensor.to:
            return _to(args, kwargs)
        if func is torch.Tensor.cuda:
            device = kwargs.get("device", args[1] if len(args) > 1 else None)
            _is_cuda("cuda" if device is None else device)
            if isinstance(args[0], EmulatedCuda):
                return args[0]
            return _on_emulated_gpu(args[0], fresh=False)
        if "device" in kwargs and _is_cuda(kwargs["device"]):
            result = func(*args, **{**kwargs, "device": "cpu"})
            inputs = {id(t) for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)}
            # as_tensor on a CPU tensor or array returns it (or its memory) as it is: copy.
            shares = func in (torch.as_tensor, torch.asarray) or id(result) in inputs
            return _on_emulated_gpu(result, fresh=not shares)
        if func not in _MIXING_ALLOWED and not _is_private(func):
            _refuse_mixed_devices(args, kwargs)
        return func(*args, **kwargs)


def _to(args: tuple, kwargs: dict) -> Any:
    """Tensor.to under the emulation: to the emulated GPU when asked, else as usual."""
    tensor, rest = args[0], args[1:]
    dtype: torch.dtype | None
    if rest and isinstance(rest[0], torch.Tensor):  # .to(other): other's device and dtype
        to_gpu, dtype = isinstance(rest[0], EmulatedCuda), rest[0].dtype
        if not to_gpu:
            return torch.Tensor.to(tensor, str(rest[0].device), dtype, *rest[1:], **kwargs)
    else:
        device = kwargs.get("device", rest[0] if rest else None)
        to_gpu = _is_cuda(device)
        dtypes = [a for a in rest if isinstance(a, torch.dtype)]
        dtype = kwargs.get("dtype", dtypes[0] if dtypes else None)
    if not to_gpu:
        return torch.Tensor.to(*args, **kwargs)
    dtype = dtype or tensor.dtype
    if isinstance(tensor, EmulatedCuda):
        return tensor.to(dtype=dtype, copy=bool(kwargs.get("copy", False)))
    # A real host-to-device transfer: new memory, still part of the autograd graph.
    return _on_emulated_gpu(tensor.to(dtype=dtype, copy=True), fresh=True)


def _is_private(func: Any) -> bool:
    """torch's own helpers (`torch._has_compatible_shallow_copy_type`): no computation."""
    name = getattr(func, "__name__", "")
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def _refuse_mixed_devices(args: tuple, kwargs: dict) -> None:
    """Raise torch's error for an operation on tensors of the emulated GPU and of the CPU.

    A 0-dim CPU tensor mixes with GPU tensors on a real GPU too (it is passed as a scalar).
    """
    tensors = [t for t in tree_flatten((args, kwargs))[0] if isinstance(t, torch.Tensor)]
    if not any(isinstance(t, EmulatedCuda) for t in tensors):
        return
    for t in tensors:
        if not isinstance(t, EmulatedCuda) and t.dim() > 0:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two "
                "devices, cuda:0 and cpu!"
            )


@contextlib.contextmanager
def emulating_cuda() -> Iterator[None]:
    """Run the block as on a machine with one GPU, emulated (around the learner's call).

    Inside it, besides what EmulatedCuda tensors do themselves: a factory function given
    `device="cuda"` (`torch.as_tensor`, `torch.zeros`, ...), `.to("cuda")`, `.to(t)` for an
    emulated `t`, and `.cuda()` put their result on the emulated GPU, and an operation that mixes
    emulated-GPU tensors with CPU tensors raises torch's "Expected all tensors to be on the same
    device" (a 0-dim CPU tensor may mix, as on a real GPU); `module.to("cuda")` moves a
    module's parameters and buffers there (as new parameter objects).
    `torch.cuda.is_available()` is not changed: code that reads the device from its data, as
    it should, works.
    """
    # Module.to("cuda") must replace each parameter by an emulated one, not set its .data (the
    # parameter object's class is what makes it emulated).
    overwrite = torch.__future__.get_overwrite_module_params_on_conversion()
    torch.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        with _EmulatingCuda():
            yield
    finally:
        torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
