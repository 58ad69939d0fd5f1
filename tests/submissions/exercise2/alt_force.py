# expect: passed
import numpy as np
import torch


def to_numpy(t):
    return t.numpy(force=True)


def to_numpy_copy(t):
    return np.copy(t.numpy(force=True))


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device=torch.device(device))
