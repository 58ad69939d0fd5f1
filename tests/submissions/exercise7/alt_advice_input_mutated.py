# expect: passed
# mistake_mutates_input.py with the diagnosis of input_mutated applied literally
import torch


def pick_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_device(x, device) for x in obj]
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*[to_device(x, device) for x in obj])
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(x, device) for x in obj)
    return obj


def prepare(model, batch, device):
    model.to(device)
    return model, to_device(batch, device)
