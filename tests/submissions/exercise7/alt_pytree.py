# expect: passed
import torch
from torch.utils._pytree import tree_map


def pick_device():
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    return torch.device("cpu")


def to_device(obj, device):
    return tree_map(lambda x: x.to(device) if isinstance(x, torch.Tensor) else x, obj)


def prepare(model, batch, device):
    return model.to(device), to_device(batch, device)
