# expect: passed
import torch


def add_batch_dim(image):
    return image.view(1, *image.shape)


def remove_batch_dim(batch):
    if len(batch.shape) < 1 or batch.shape[0] != 1:
        raise ValueError(f"expected (1, ...), got {batch.shape}")
    return batch.reshape(batch.shape[1:])
