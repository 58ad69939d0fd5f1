# expect: failed mistake=container_not_recursed
import torch


def pick_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[x.to(device) if isinstance(x, torch.Tensor) else x for x in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(x.to(device) if isinstance(x, torch.Tensor) else x for x in obj)
    return obj


def prepare(model, batch, device):
    model.to(device)
    return model, to_device(batch, device)
