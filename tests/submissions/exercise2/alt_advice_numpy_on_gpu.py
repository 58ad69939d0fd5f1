# expect: passed
# mistake_no_cpu.py with the diagnosis of numpy_on_gpu applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.from_numpy(a).to(device)
