"""Exercise 14 · Optimizers and parameter groups (reference solution)."""

import torch
from torch import nn


def finetune_optimizer(net: nn.Module) -> torch.optim.SGD:
    """Return SGD with net.features at the default lr 1e-5 and net.classifier at lr 1e-2."""
    # A group without "lr" takes the constructor's lr (the default); the classifier's group
    # overrides it. Each submodule's parameters go in exactly one group: SGD refuses a
    # parameter that appears in two.
    return torch.optim.SGD(
        [
            {"params": net.features.parameters()},
            {"params": net.classifier.parameters(), "lr": 1e-2},
        ],
        lr=1e-5,
    )


def sgd_step(params, lr: float) -> None:
    """One plain SGD step by hand: p -= lr * p.grad in place, then p.grad = None."""
    # no_grad: an in-place update of a leaf that requires grad must not be recorded (autograd
    # refuses it otherwise), and the update is not part of the function being differentiated.
    with torch.no_grad():
        # One pass over `params`, which may be a generator that cannot be restarted.
        for p in params:
            if p.grad is None:
                continue
            # In place (sub_): the model's own tensor changes; `p = p - ...` would only
            # rebind the loop variable.
            p.sub_(lr * p.grad)
            # None rather than zeros: the next backward allocates a fresh gradient instead of
            # adding to a stale one, and a parameter that gets no gradient stays skipped.
            p.grad = None


def scale_learning_rates(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Multiply the lr of every parameter group by `factor`."""
    # step() reads each group's own "lr"; optimizer.defaults only fills in groups added later.
    for group in optimizer.param_groups:
        group["lr"] = group["lr"] * factor
