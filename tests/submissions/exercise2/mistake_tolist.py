# expect: failed mistake=numpy_dtype_changed
import numpy as np
import torch


def to_numpy(t):
    return np.array(t.tolist())


def to_numpy_copy(t):
    return np.array(t.tolist())


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
