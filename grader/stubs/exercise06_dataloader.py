"""Exercise 6 · Dataset and DataLoader.

A `Dataset` answers two questions: how many samples there are (`__len__`) and what sample `i`
is (`__getitem__`). A `DataLoader` does everything else: it picks the order of the indices
(`shuffle`), groups them into batches of `batch_size` (the last batch may be smaller, unless
`drop_last=True` drops it), loads samples in `num_workers` background processes, and stacks
the samples of a batch into tensors with its `collate_fn`.

    >>> ds = PairsDataset(torch.rand(10, 3), torch.arange(10))
    >>> len(ds), ds[0][0].shape
    (10, torch.Size([3]))
    >>> loader = make_loader(ds, batch_size=4)
    >>> [len(y) for x, y in loader]          # 10 samples in batches of 4
    [4, 4, 2]
    >>> count_batches(10, 4, drop_last=True)  # the last, partial batch is dropped
    2

Worker processes receive the dataset *pickled* on Windows and macOS (and on Linux from Python
3.14): store only picklable things in it (tensors, lists, numbers), never a lambda, a generator
or an open file. On Windows and macOS the workers are *spawned*: each starts a fresh Python
that imports your script, so a script that iterates a loader with `num_workers > 0` must keep
that code under `if __name__ == "__main__":`, or every worker would start the training again
(an error).

More about workers: `persistent_workers=True` keeps them alive between epochs instead of
starting them anew for each one. Each worker seeds torch, `random` and NumPy's global
generator with its own seed (a base seed drawn from the main process's torch generator, plus
the worker id), so `torch.manual_seed` or a seeded `generator=` makes a run reproducible. A
generator object kept in the dataset (say `np.random.default_rng(0)` made in `__init__`) is
copied into every worker instead, and all workers then draw the same numbers: reseed it in a
`worker_init_fn` from `torch.utils.data.get_worker_info().seed`.

Sequences of different lengths cannot be stacked; a `collate_fn` pads them to a common length:

    >>> batch = [(torch.tensor([5, 6, 7]), 1), (torch.tensor([8]), 0)]
    >>> padded, lengths, labels = pad_collate(batch)
    >>> padded
    tensor([[5, 6, 7],
            [8, 0, 0]])
    >>> lengths, labels
    (tensor([3, 1]), tensor([1, 0]))

Keep the lengths: a model must know where each padded row really ends (exercise 12).

Run `grade exercise6` to check your work, `grade hint exercise6` when stuck.
"""

import torch  # noqa: F401 - you will need it (torch.tensor, torch.zeros, ...)
from torch import Tensor
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    """Pairs `(xs[i], ys[i])`: inputs and their targets, matched by position.

    `PairsDataset(xs, ys)` raises `ValueError` when `len(xs) != len(ys)` (only the first
    dimension has to agree: xs of shape (N, 3) and ys of shape (N,) are fine). The dataset
    must be picklable: keep only `xs` and `ys` (or other plain data) as attributes.
    """

    def __init__(self, xs: Tensor, ys: Tensor) -> None:
        """Keep `xs` and `ys`; raise ValueError if their lengths differ."""
        raise NotImplementedError

    def __len__(self) -> int:
        """The number of pairs, N."""
        raise NotImplementedError

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        """The tuple `(xs[i], ys[i])`."""
        raise NotImplementedError


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool = False,
    drop_last: bool = False,
    num_workers: int = 0,
) -> DataLoader:
    """A `DataLoader` over `dataset` that uses each of these arguments as given.

    (Pass them by keyword: DataLoader's third positional parameter is `shuffle`, but its fourth
    is `sampler`, not `drop_last`.)
    """
    raise NotImplementedError


def count_batches(n: int, batch_size: int, drop_last: bool) -> int:
    """How many batches one epoch over `n` samples (n >= 0) gives, as an int.

    It must equal `len(DataLoader(dataset_of_n_samples, batch_size, drop_last=drop_last))`:
    with `drop_last=False` a last, partial batch counts; with `drop_last=True` it is dropped.
    """
    raise NotImplementedError


def pad_collate(batch: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor, Tensor]:
    """Collate `(sequence, label)` pairs of 1-D sequences (length >= 1) of different lengths.

    Returns the tuple `(padded, lengths, labels)`:
    - `padded`: shape (B, longest), the sequences' dtype, each sequence in its row followed by
      zeros on the right;
    - `lengths`: int64 tensor (B,), each sequence's length;
    - `labels`: int64 tensor (B,).
    Rows stay in the order of `batch` (do not sort them by length).
    """
    raise NotImplementedError
