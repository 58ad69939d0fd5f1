"""Exercise 2 · Tensors and NumPy.

PyTorch tensors and NumPy arrays can share the same memory, but only when three things hold:

1. The tensor is on the CPU. NumPy knows nothing about GPU memory: a CUDA tensor must first be
   *copied* to the host with `.cpu()` (or `.to("cpu")`).
2. The tensor is outside the autograd graph. While grad mode is on (the default),
   `t.numpy()` refuses a tensor that requires grad (a model's weights, or anything computed
   from them), because the array could be changed behind autograd's back. `t.detach()`
   returns a tensor that shares `t`'s data but is cut from the graph; `t` itself keeps
   requiring grad.
3. You are fine with sharing. On the CPU, `t.detach().numpy()` is a *view* of the tensor's
   memory: writing into the array changes the tensor. Copy (`.copy()`, `np.array(...)`,
   `.clone()`) when the two must be independent.

Conditions 1 and 2 are two separate steps. Their order does not change the result; detaching
first avoids recording the device copy in the graph. (`t.numpy(force=True)` also exists: it
takes both steps for you.)

    >>> w = torch.ones(2, 3, requires_grad=True)
    >>> w.numpy()
    RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() ...
    >>> to_numpy(w).shape, to_numpy(w).dtype
    ((2, 3), dtype('float32'))
    >>> w.requires_grad                      # w itself is untouched
    True

Going the other way, `torch.from_numpy(a)` keeps the array's dtype (float64 stays float64,
int32 stays int32), while `torch.Tensor(a)` gives the default dtype (float32 unless
`torch.set_default_dtype` changed it) and `torch.FloatTensor(a)` always float32.

Run `grade exercise2` to check your work, `grade hint exercise2` when stuck.
"""

import numpy as np
import torch
from torch import Tensor


def to_numpy(t: Tensor) -> np.ndarray:
    """Return the values of `t` as a NumPy array: same values, same shape, matching dtype.

    `t` may be any tensor: a leaf that requires grad (like a weight), a non-leaf computed from
    one (like a model's output), or a tensor on a GPU. Leave `t` as it was: it must still
    require grad (if it did) and stay on its device afterwards, so do not call
    `t.requires_grad_(False)` or `t.detach_()`, which change `t` itself. The array may share
    memory with `t` when `t` is on the CPU.
    """
    raise NotImplementedError


def to_numpy_copy(t: Tensor) -> np.ndarray:
    """Like `to_numpy`, but the array never shares memory with `t`.

    Writing into the returned array must leave `t` unchanged, on every device.
    """
    raise NotImplementedError


def from_numpy(a: np.ndarray, device: str | torch.device = "cpu") -> Tensor:
    """Return `a` as a tensor on `device`: same values, same shape, same dtype.

    `device` is a string such as "cpu" or "cuda", or a `torch.device`. Keep the dtype of `a`:
    a float64 array gives a float64 tensor, an int32 array an int32 tensor.
    """
    raise NotImplementedError
