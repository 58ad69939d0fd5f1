# expect: passed
# mistake_unsqueeze_in_place.py with the diagnosis of changed_input_in_place applied literally
"""Exercise 1 with unsqueeze(0), which returns a new view and leaves the caller's image alone."""

from torch import Tensor


def add_batch_dim(image: Tensor) -> Tensor:
    """Return `image` (C, H, W) as a batch of one, shape (1, C, H, W), as a view."""
    return image.unsqueeze(0)


def remove_batch_dim(batch: Tensor) -> Tensor:
    """Return `batch` (1, ...) without its first dimension; ValueError if dim 0 is not 1."""
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
