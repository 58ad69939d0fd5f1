# expect: passed
import torch


def to_numpy(t):
    return t.data.to("cpu").numpy()


def to_numpy_copy(t):
    return t.data.clone().cpu().numpy()


def from_numpy(a, device="cpu"):
    return torch.tensor(a, device=device)
