"""Exercise 1 · Shapes: squeeze and unsqueeze.

Models take *batches*: a tensor whose first dimension counts the examples. A single image of
shape (C, H, W) must become a batch of one, (1, C, H, W), before it goes into a model, and the
model's answer for that batch of one loses its batch dimension again afterwards.

In PyTorch dimension 0 is the batch: images are (B, C, H, W), channels second. (Some cheat
sheets call dimension 0 "the channels"; that holds only for one image without its batch.)

    >>> image = torch.rand(3, 32, 32)
    >>> add_batch_dim(image).shape
    torch.Size([1, 3, 32, 32])
    >>> remove_batch_dim(torch.rand(1, 10)).shape
    torch.Size([10])

Run `grade exercise1` to check your work, `grade hint exercise1` when stuck.
"""

from torch import Tensor


def add_batch_dim(image: Tensor) -> Tensor:
    """Return `image` (C, H, W) as a batch of one, shape (1, C, H, W).

    The result must be a *view* of `image`: the same memory seen with another shape, not a
    copy (writing into the result changes `image`). `unsqueeze` inserts a dimension of size 1
    at the position you give it.
    """
    raise NotImplementedError


def remove_batch_dim(batch: Tensor) -> Tensor:
    """Return `batch` (1, ...) without its first dimension: (1, C, H, W) -> (C, H, W).

    Remove dimension 0 only. Other dimensions of size 1 stay: a grey image (1, 1, H, W) becomes
    (1, H, W), never (H, W).

    If dimension 0 is not of size 1 there is no single example to return: raise `ValueError`
    with a message that names the shape you got, e.g. "expected a batch of one, got shape
    (2, 3, 4)". (Careful: `batch.squeeze(0)` silently returns the batch unchanged then.)
    """
    raise NotImplementedError
