# expect: failed
# says: shape
# A large answer (16 MB, a quarter of the largest frame: a plain float32 tensor) for every
# call: the grader reads, judges and drops each within its documented memory bound.
import torch


def add_batch_dim(image):
    return torch.zeros(4_000_000)


def remove_batch_dim(batch):
    return torch.zeros(4_000_000)
