# expect: passed
# mistake_targets_unsqueeze_in_place.py with the diagnosis of targets_changed applied literally
"""Exercise 13 with targets.unsqueeze_(1): the caller's targets become (B, 1)."""

import torch
from torch import Tensor


def _per_example(logits: Tensor, targets: Tensor) -> Tensor:
    """-log softmax(logits)[i, targets[i]] for every row i, computed without overflow."""
    # Subtracting each row's max makes every exponent <= 0: exp cannot overflow, and the
    # largest term is exp(0) = 1, so the sum is >= 1 and its log is never -inf. The max is a
    # constant shift (softmax does not change), so its gradient cancels out; detach is optional.
    m = logits.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    # gather picks logits[i, targets[i]] row by row; logits[:, targets] would pick a (B, B) grid.
    picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
    return log_sum_exp - picked


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """The mean cross-entropy of `logits` (B, C) against class indices `targets` (B,)."""
    # The mean (not the sum) is nn.CrossEntropyLoss's default reduction.
    return _per_example(logits, targets).mean()


def cross_entropy_ignore(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """Like `cross_entropy`, but positions whose target is `ignore_index` do not count."""
    keep = targets != ignore_index
    # Ignored targets (e.g. -100) are not valid classes: replace them by class 0 before
    # indexing, then zero their losses so they add nothing to the value or the gradient.
    safe_targets = torch.where(keep, targets, torch.zeros_like(targets))
    losses = torch.where(keep, _per_example(logits, safe_targets), 0.0)
    # Divide by the number of kept positions, not B. With none kept this is 0 / 0 = nan,
    # exactly what nn.CrossEntropyLoss returns.
    return losses.sum() / keep.sum()
