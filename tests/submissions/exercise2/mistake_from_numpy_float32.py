# expect: failed mistake=tensor_dtype_changed
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.tensor(a, dtype=torch.float32, device=device)
