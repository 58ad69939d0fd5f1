# expect: error reason=memory
import torch


def add_batch_dim(image):
    hoard = []
    while True:
        hoard.append(torch.ones(64 * 1024 * 1024))


def remove_batch_dim(batch):
    return batch[0]
