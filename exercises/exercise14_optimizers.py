"""Exercise 14 · Optimizers and parameter groups.

An optimizer holds a list of *parameter groups*: dicts with a list of parameters under
"params" and that group's settings ("lr", "momentum", ...). Settings not given for a group
come from the optimizer's `defaults`, which are the keyword arguments of its constructor:

    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 1)
    >>> opt = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.1}],
    ...                       lr=0.001, momentum=0.9)
    >>> [(group["lr"], group["momentum"]) for group in opt.param_groups]
    [(0.001, 0.9), (0.1, 0.9)]

The first argument is named `params` (and usually passed by position): `optim.SGD(param=...)`,
as some cheat sheets write it, is a TypeError.

Fine-tuning a pretrained network often uses a tiny learning rate for the pretrained feature
extractor and a larger one for the new classifier on top. Every `opt.step()` reads each
group's "lr" afresh, which is how schedulers change the learning rate during training.

Plain SGD is one line per parameter: `p = p - lr * p.grad`. Written literally, that line
does nothing to the model (it only rebinds the name `p`) and records the subtraction in the
autograd graph; an optimizer updates each parameter *in place* with gradient tracking off.

Run `grade exercise14` to check your work, `grade hint exercise14` when stuck.
"""

import torch
from torch import nn


def finetune_optimizer(net: nn.Module) -> torch.optim.SGD:
    """Return one `torch.optim.SGD` with two parameter groups for `net`.

    `net` has two submodules, `net.features` and `net.classifier` (and no other parameters).
    The first group holds every parameter of `net.features` and uses the optimizer's default
    learning rate, 1e-5 (so `optimizer.defaults["lr"] == 1e-5`); the second holds every
    parameter of `net.classifier`, with lr 1e-2. Every parameter of both appears exactly
    once. Other SGD settings stay at their defaults.
    """
    raise NotImplementedError


def sgd_step(params, lr: float) -> None:
    """One plain SGD step, by hand: `p -= lr * p.grad` for each parameter that has a gradient.

    `params` is any iterable of parameters, such as `model.parameters()` (a generator: it can
    be gone through only once). For each parameter whose `.grad` is not None: update it in
    place without recording the update in the autograd graph (the parameter stays the same
    leaf tensor, still requiring grad), then clear its gradient by setting `.grad` to None.
    Parameters whose `.grad` is None (frozen, or unused in the loss) are skipped. Returns None.
    """
    raise NotImplementedError


def scale_learning_rates(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Multiply the learning rate of every parameter group of `optimizer` by `factor`.

    The next `optimizer.step()` must use the new rates: change them where `step()` reads them.
    Groups keep their own rates relative to each other (0.1 and 0.01 scaled by 0.5 become 0.05
    and 0.005). Returns None.
    """
    raise NotImplementedError
