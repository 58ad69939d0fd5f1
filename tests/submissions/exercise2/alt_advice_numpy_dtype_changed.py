# expect: passed
# mistake_tolist.py with the diagnosis of numpy_dtype_changed applied literally
import numpy as np
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return np.array(t.detach().cpu().numpy())


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
