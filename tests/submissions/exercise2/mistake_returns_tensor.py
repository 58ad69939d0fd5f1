# expect: failed mistake=not_an_array
import torch


def to_numpy(t):
    return t.detach().cpu()


def to_numpy_copy(t):
    return t.detach().cpu().clone()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
