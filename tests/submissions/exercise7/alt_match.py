# expect: passed
import torch


def pick_device():
    name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def to_device(obj, device):
    match obj:
        case torch.Tensor():
            return obj.to(device=device)
        case dict():
            return {key: to_device(value, device) for key, value in obj.items()}
        case tuple() if hasattr(obj, "_fields"):
            return obj._make(to_device(item, device) for item in obj)
        case tuple():
            return tuple(to_device(item, device) for item in obj)
        case list():
            return [to_device(item, device) for item in obj]
        case _:
            return obj


def prepare(model, batch, device):
    model = model.to(device)
    batch = to_device(batch, device)
    return (model, batch)
