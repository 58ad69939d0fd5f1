# expect: passed
# mistake_numpy_directly.py with the diagnosis of numpy_requires_grad applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
