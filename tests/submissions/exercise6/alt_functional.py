# expect: passed
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    def __init__(self, xs, ys):
        super().__init__()
        if len(xs) != len(ys):
            raise ValueError(f"{len(xs)} inputs but {len(ys)} targets")
        self.xs, self.ys = xs, ys

    def __len__(self):
        return self.xs.size(0)

    def __getitem__(self, i):
        return (self.xs[i], self.ys[i])


def make_loader(dataset, batch_size, shuffle=False, drop_last=False, num_workers=0):
    return DataLoader(
        dataset=dataset,
        num_workers=num_workers,
        drop_last=drop_last,
        shuffle=shuffle,
        batch_size=batch_size,
    )


def count_batches(n, batch_size, drop_last):
    return n // batch_size if drop_last else (n + batch_size - 1) // batch_size


def pad_collate(batch):
    seqs, labels = zip(*batch)
    longest = max(s.numel() for s in seqs)
    padded = torch.stack([F.pad(s, (0, longest - s.numel()), value=0) for s in seqs])
    lengths = torch.as_tensor([s.numel() for s in seqs]).long()
    return padded, lengths, torch.LongTensor(list(labels))
