# expect: failed
import torch


class Liar(torch.Tensor):
    def __eq__(self, other):
        return torch.ones_like(other, dtype=torch.bool)

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return super().__torch_function__(func, types, args, kwargs or {})


def add_batch_dim(image):
    return torch.zeros(1).as_subclass(Liar)


def remove_batch_dim(batch):
    return torch.zeros(1).as_subclass(Liar)
