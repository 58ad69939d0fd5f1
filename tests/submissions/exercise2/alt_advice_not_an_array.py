# expect: passed
# mistake_returns_tensor.py with the diagnosis of not_an_array applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().clone().numpy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
