# expect: failed mistake=input_mutated
import torch


def pick_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        for k in obj:
            obj[k] = to_device(obj[k], device)
        return obj
    if isinstance(obj, list):
        for i, x in enumerate(obj):
            obj[i] = to_device(x, device)
        return obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[to_device(x, device) for x in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(x, device) for x in obj)
    return obj


def prepare(model, batch, device):
    model.to(device)
    return model, to_device(batch, device)
