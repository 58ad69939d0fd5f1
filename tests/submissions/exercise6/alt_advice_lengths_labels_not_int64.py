# expect: passed
# mistake_float_lengths.py with the diagnosis of lengths_labels_not_int64 applied literally
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    def __init__(self, xs, ys):
        if len(xs) != len(ys):
            raise ValueError("lengths differ")
        self.xs, self.ys = xs, ys

    def __len__(self):
        return len(self.xs)

    def __getitem__(self, i):
        return self.xs[i], self.ys[i]


def make_loader(dataset, batch_size, shuffle=False, drop_last=False, num_workers=0):
    return DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, num_workers=num_workers
    )


def count_batches(n, batch_size, drop_last):
    return n // batch_size if drop_last else -(-n // batch_size)


def pad_collate(batch):
    seqs = [s for s, _ in batch]
    return (
        pad_sequence(seqs, batch_first=True),
        torch.tensor([len(s) for s in seqs], dtype=torch.int64),
        torch.tensor([label for _, label in batch]),
    )
