"""Exercise 3 · The training step.

Every PyTorch training loop repeats the same five moves for each batch:

1. clear the gradients left by earlier work (the optimizer has a method for it);
2. forward: run the model on the inputs, which records the graph;
3. loss: one number that says how wrong the outputs are;
4. backward: d loss / d parameter, into each parameter's `.grad`;
5. update: the optimizer moves every parameter against its `.grad`.

Why move 1? `loss.backward()` does not *replace* `p.grad`: it *adds* the new gradient to
whatever is already there. That is useful on purpose (summing gradients over several small
batches), but in a normal loop it means that without `zero_grad()` the second step is pushed by
the gradients of the first and second batch together, the third by all three, and so on: the
model takes ever larger steps in stale directions.

    >>> w = torch.ones(1, requires_grad=True)
    >>> (2 * w).sum().backward(); w.grad
    tensor([2.])
    >>> (2 * w).sum().backward(); w.grad      # accumulated, not replaced
    tensor([4.])

Why this order? `optimizer.step()` reads `p.grad`, so it must come after `backward()`; and
`backward()` needs the loss from this step's forward pass. Where the clearing goes is a choice:
many loops (and cheat sheets) write backward, step, then zero_grad at the end, and in a loop
that starts with clean gradients that is exactly equivalent, since every backward still finds
`.grad` empty. `train_step` clears first only because it is a function that cannot assume
clean gradients: whatever was left in `.grad` before the call (another loop's last step, a
gradient computed for something else) must not leak into this step.

An *epoch* is one pass over the whole data set: one training step per batch. Layers such as
Dropout and BatchNorm behave differently while training, so the model is switched into training
mode with `model.train()` first (and into evaluation mode with `model.eval()` for testing).

Run `grade exercise3` to check your work, `grade hint exercise3` when stuck.
"""

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn


def train_step(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    inputs: Tensor,
    targets: Tensor,
) -> float:
    """Do one full training step on one batch and return its loss as a Python float.

    The five moves, in order: clear old gradients, forward, loss, backward, update. The
    model may arrive with gradients
    already in `.grad` (from an earlier step or from other work): clear them first, so that the
    update uses this batch's gradients only. Calling `train_step` k times must move the
    parameters exactly as k correct steps do.

    Return the loss of this batch, computed before the update, as a plain `float`
    (`loss.item()`), not the loss tensor: a tensor keeps this step's graph nodes alive, and
    summing loss tensors over an epoch chains every step's nodes into one growing graph.
    """
    raise NotImplementedError


def train_epoch(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    loader: Iterable[tuple[Tensor, Tensor]],
) -> float:
    """Train for one epoch and return the epoch's mean loss per example.

    Put the model in training mode, then run `train_step` on every `(inputs, targets)` batch of
    `loader`, in order. `loader` is any iterable of batches: a `DataLoader`, or a plain list of
    `(inputs, targets)` pairs (so it may have no `.dataset` or `.batch_size`: take each batch's
    size from `inputs.shape[0]`).

    Each batch loss is a mean over that batch, and the last batch is often smaller than the
    others. Return the mean of the batch losses weighted by batch size,
    `sum(loss_i * size_i) / sum(size_i)`: the mean loss over all examples of the epoch. (A plain
    mean of the batch losses would give the few examples of a small last batch as much weight
    as a whole full batch.)
    """
    raise NotImplementedError
