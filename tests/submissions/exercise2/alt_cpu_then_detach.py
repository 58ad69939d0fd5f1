# expect: passed
import numpy as np
import torch


def to_numpy(t):
    return t.cpu().detach().numpy()


def to_numpy_copy(t):
    return np.array(t.cpu().detach())


def from_numpy(a, device="cpu"):
    return torch.as_tensor(a, device=device)
