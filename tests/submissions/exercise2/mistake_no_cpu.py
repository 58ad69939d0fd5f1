# expect: failed mistake=numpy_on_gpu
import torch


def to_numpy(t):
    return t.detach().numpy()


def to_numpy_copy(t):
    return t.detach().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
