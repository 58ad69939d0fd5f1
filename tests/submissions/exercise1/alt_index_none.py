# expect: passed
import torch


def add_batch_dim(image):
    return image[None]


def remove_batch_dim(batch):
    if batch.ndim == 0 or batch.size(0) != 1:
        raise ValueError("need a batch of one, got shape " + "x".join(map(str, batch.shape)))
    return batch[0]
