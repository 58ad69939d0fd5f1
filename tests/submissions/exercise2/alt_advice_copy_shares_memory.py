# expect: passed
# mistake_copy_shares.py with the diagnosis of copy_shares_memory applied literally
import numpy as np
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    # "cpu() makes a copy", but not for a tensor that is already on the CPU
    return np.asarray(t.detach().cpu()).copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
