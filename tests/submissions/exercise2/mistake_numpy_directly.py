# expect: failed mistake=numpy_requires_grad
import torch


def to_numpy(t):
    return t.cpu().numpy()


def to_numpy_copy(t):
    return t.cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
