# expect: passed
import torch


def to_numpy(t):
    if t.requires_grad:
        t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    return t.numpy()


def to_numpy_copy(t):
    return to_numpy(t).copy()


def from_numpy(a, device="cpu"):
    t = torch.from_numpy(a)
    return t.to(device)
