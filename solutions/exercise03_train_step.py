"""Exercise 3 · The training step (reference solution)."""

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
    """Do one full training step on one batch and return its loss as a Python float."""
    # backward() adds into .grad. A function cannot assume it starts clean, so whatever was
    # left there (another loop's last step, other work) is cleared first.
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    # step() reads the .grad that backward() just filled.
    optimizer.step()
    # .item() gives a float and lets the graph of this step be freed.
    return loss.item()


def train_epoch(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    loader: Iterable[tuple[Tensor, Tensor]],
) -> float:
    """Train for one epoch and return the mean loss per example (weighted by batch size)."""
    # train() switches every submodule (Dropout, BatchNorm...) into training behaviour;
    # assigning model.training = True would only flip the top module's flag.
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        size = inputs.shape[0]
        # Each batch loss is a mean over its batch: weight it by the batch size so that a
        # small last batch counts as much as its few examples, no more.
        total += train_step(model, loss_fn, optimizer, inputs, targets) * size
        count += size
    return total / count
