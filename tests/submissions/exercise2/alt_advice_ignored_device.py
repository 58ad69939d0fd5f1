# expect: passed
# mistake_from_numpy_no_device.py with the diagnosis of ignored_device applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
