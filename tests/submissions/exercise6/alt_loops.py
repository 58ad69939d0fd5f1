# expect: passed
import math

import torch
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    def __init__(self, xs, ys):
        if xs.shape[0] != ys.shape[0]:
            raise ValueError("xs has %d rows but ys has %d" % (xs.shape[0], ys.shape[0]))
        self.pairs = [(xs[i], ys[i]) for i in range(xs.shape[0])]

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        return self.pairs[i]


def make_loader(dataset, batch_size, shuffle=False, drop_last=False, num_workers=0):
    kwargs = dict(shuffle=shuffle, drop_last=drop_last, num_workers=num_workers)
    return DataLoader(dataset, batch_size, **kwargs)


def count_batches(n, batch_size, drop_last):
    if drop_last:
        return math.floor(n / batch_size)
    return math.ceil(n / batch_size)


def pad_collate(batch):
    longest = max(len(seq) for seq, _ in batch)
    padded = torch.zeros(len(batch), longest, dtype=batch[0][0].dtype)
    lengths = torch.zeros(len(batch), dtype=torch.long)
    labels = torch.zeros(len(batch), dtype=torch.long)
    for row, (seq, label) in enumerate(batch):
        padded[row, : len(seq)] = seq
        lengths[row] = len(seq)
        labels[row] = label
    return padded, lengths, labels
