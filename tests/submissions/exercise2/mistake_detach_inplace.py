# expect: failed mistake=detached_in_place
import torch


def to_numpy(t):
    return t.detach_().cpu().numpy()


def to_numpy_copy(t):
    return t.detach_().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
