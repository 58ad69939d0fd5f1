# expect: passed
# mistake_from_numpy_float32.py with the diagnosis of tensor_dtype_changed applied literally
import torch


def to_numpy(t):
    return t.detach().cpu().numpy()


def to_numpy_copy(t):
    return t.detach().cpu().numpy().copy()


def from_numpy(a, device="cpu"):
    return torch.as_tensor(a, device=device)
