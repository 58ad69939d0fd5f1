"""Exercise 13 · Loss functions: cross-entropy by hand.

A classifier outputs raw scores, *logits*, of shape (B, C): one row per example, one score per
class. The targets are class indices, int64 of shape (B,). Cross-entropy turns each row into
probabilities with softmax and charges -log(probability of the right class):

    p[i, k]  = exp(logits[i, k]) / sum_j exp(logits[i, j])
    loss[i]  = -log p[i, targets[i]]
             = logsumexp(logits[i]) - logits[i, targets[i]]
    loss     = mean of loss[i] over the batch           (a 0-dim tensor)

Written like the first line, it breaks: exp(89.0) is already inf in float32 (exp(710.0) in
float64), and inf / inf is nan. Softmax does not change when you subtract the same number from
every score of a row, so subtract each row's largest logit first, m[i] = max_j logits[i, j]:

    logsumexp(logits[i]) = m[i] + log(sum_j exp(logits[i, j] - m[i]))

Every exponent is now <= 0, so nothing overflows; and because you never take the log of a
probability that rounded to 0, nothing becomes -inf either. (`torch.logsumexp` does exactly
this, and you may use it.)

    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1e4]])
    >>> cross_entropy(logits, torch.tensor([0, 1]))
    tensor(0.0635)

The gradient of the mean loss with respect to the logits is (softmax(logits) - one_hot) / B:
you get it for free from autograd, as long as the loss is computed with torch operations on
`logits` (no `.item()`, no `torch.tensor(...)` around the result).

`nn.CrossEntropyLoss` does the softmax itself: give it the logits, never `softmax(logits)`
(that would squash the scores twice and train slowly). Its targets are int64 class indices of
shape (B,), not a (B, 1) column and not floats (float targets of shape (B, C) are read as
class probabilities, a different thing).

Run `grade exercise13` to check your work, `grade hint exercise13` when stuck.
"""

import torch  # noqa: F401 - you will need it
from torch import Tensor


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """The mean cross-entropy of `logits` (B, C) against class indices `targets` (B,).

    Returns a 0-dim tensor of the logits' dtype, on their device, that autograd can
    differentiate: value and gradient equal `nn.CrossEntropyLoss()(logits, targets)` for
    float32 and float64 logits as large as ±1e4 (up to the rounding of that dtype at that
    magnitude).

    Write it by hand: `F.cross_entropy`, `nn.CrossEntropyLoss`, `F.log_softmax` (also as
    `torch.log_softmax` or `logits.log_softmax`) and `F.nll_loss` are not allowed here.
    `torch.logsumexp`, `max`, `exp`, `log`, `gather` and indexing are.
    """
    raise NotImplementedError


def cross_entropy_ignore(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """Like `cross_entropy`, but positions whose target is `ignore_index` do not count.

    The loss is the mean over the other positions only: the sum of their losses divided by
    how many they are (not by B). An ignored position contributes nothing to the value or to
    the gradient, whatever its target (-100 is not even a valid class: mask it out before you
    index with it). Matches `nn.CrossEntropyLoss(ignore_index=ignore_index)`, including its
    answer when every position is ignored: 0 / 0, which is nan.
    """
    raise NotImplementedError
