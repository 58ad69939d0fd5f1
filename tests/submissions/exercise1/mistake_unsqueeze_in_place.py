# expect: failed mistake=changed_input_in_place
"""Exercise 1 with unsqueeze_: the trailing underscore changes the caller's image in place."""

from torch import Tensor


def add_batch_dim(image: Tensor) -> Tensor:
    """Return `image` (C, H, W) as a batch of one, shape (1, C, H, W), as a view."""
    # unsqueeze(0) inserts a new size-1 dimension in front and shares memory with `image`;
    # `image[None]` or `image.view(1, *image.shape)` would do the same.
    return image.unsqueeze_(0)


def remove_batch_dim(batch: Tensor) -> Tensor:
    """Return `batch` (1, ...) without its first dimension; ValueError if dim 0 is not 1."""
    # squeeze(0) would silently do nothing for a batch of 2, so check first and say why.
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    # squeeze(0) removes dimension 0 only; a bare squeeze() would also drop C or H of size 1.
    return batch.squeeze(0)
