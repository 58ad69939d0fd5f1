"""Exercise 2 · Tensors and NumPy (reference solution)."""

import numpy as np
import torch
from torch import Tensor


def to_numpy(t: Tensor) -> np.ndarray:
    """Return the values of `t` as a NumPy array, leaving `t` as it was."""
    # detach() gives a new tensor outside the graph (t keeps requiring grad), and cpu() copies
    # from a GPU (it returns the tensor itself when it is already on the CPU). Detaching first
    # keeps the device copy out of the autograd graph; `t.cpu().detach()` gives the same array.
    return t.detach().cpu().numpy()


def to_numpy_copy(t: Tensor) -> np.ndarray:
    """Like `to_numpy`, but the array never shares memory with `t`."""
    # On the CPU, .numpy() is a view of the tensor's memory; .copy() makes the array its own.
    # (On a GPU the .cpu() already copied, and the extra copy is cheap next to it.)
    return t.detach().cpu().numpy().copy()


def from_numpy(a: np.ndarray, device: str | torch.device = "cpu") -> Tensor:
    """Return `a` as a tensor on `device`, with the same values, shape and dtype."""
    # from_numpy keeps the dtype and shares the array's memory; .to() copies only when the
    # device differs (torch.as_tensor(a, device=device) does the same in one call).
    return torch.from_numpy(a).to(device)
