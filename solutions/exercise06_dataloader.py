"""Exercise 6 · Dataset and DataLoader (reference solution)."""

import torch
from torch import Tensor
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    """Pairs `(xs[i], ys[i])`; ValueError on unequal lengths; picklable."""

    def __init__(self, xs: Tensor, ys: Tensor) -> None:
        """Keep `xs` and `ys`; raise ValueError if their lengths differ."""
        # Compare lengths, not shapes: inputs (N, 3) and labels (N,) are a valid pair.
        if len(xs) != len(ys):
            raise ValueError(f"xs and ys differ in length: {len(xs)} != {len(ys)}")
        # Only tensors as attributes, so that pickling for worker processes just works.
        self.xs = xs
        self.ys = ys

    def __len__(self) -> int:
        """The number of pairs, N."""
        # len() of a tensor is its first dimension; numel() would count every value.
        return len(self.xs)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        """The tuple `(xs[i], ys[i])`."""
        return self.xs[i], self.ys[i]


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool = False,
    drop_last: bool = False,
    num_workers: int = 0,
) -> DataLoader:
    """A DataLoader over `dataset` that uses each argument as given."""
    # Keywords: positionally, DataLoader's 4th and 5th parameters are sampler and batch_sampler.
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        num_workers=num_workers,
    )


def count_batches(n: int, batch_size: int, drop_last: bool) -> int:
    """How many batches one epoch over `n` samples gives."""
    full, rest = divmod(n, batch_size)
    # A partial last batch exists only when batch_size does not divide n.
    return full if drop_last or rest == 0 else full + 1


def pad_collate(batch: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor, Tensor]:
    """Pad 1-D sequences on the right with 0; return (padded, lengths, labels) in input order."""
    sequences = [seq for seq, _ in batch]
    # batch_first=True gives (B, longest); the default (False) would give (longest, B).
    padded = pad_sequence(sequences, batch_first=True, padding_value=0)
    # torch.tensor with an explicit dtype: torch.Tensor([...]) would make the default float
    # dtype (float32).
    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.int64)
    labels = torch.tensor([label for _, label in batch], dtype=torch.int64)
    return padded, lengths, labels
