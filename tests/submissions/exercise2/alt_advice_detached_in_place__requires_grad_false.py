# expect: passed
# mistake_requires_grad_false.py with the diagnosis of detached_in_place applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
