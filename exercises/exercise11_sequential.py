"""Exercise 11 · Three ways to build nn.Sequential.

`nn.Sequential` runs its layers one after the other. Every layer has a *name*, and the names
become the keys of the model's `state_dict` (the parameters and buffers you save and load):

    >>> seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> list(seq.state_dict())
    ['0.weight', '0.bias']

Layers passed one by one (or unpacked from a list) are named by position: '0', '1', '2'. To
choose names, pass an `OrderedDict` of name -> layer, or start from an empty `nn.Sequential()`
and call `seq.add_module(name, layer)` for each layer. A plain Python list or an
`nn.ModuleList` holds layers too, but neither can be called on an input; and a plain list
assigned to a module's attribute registers nothing (its layers' parameters are missing from
`parameters()`, `state_dict()` and `.to()`), while an `nn.ModuleList` registers them.

Batch normalization has *parameters* (weight, bias: learned by the optimizer) and *buffers*
(running_mean, running_var, num_batches_tracked: updated by forward passes in training mode;
evaluation mode uses the running mean and variance, while num_batches_tracked only counts the
training batches, for a momentum of None). Both are in the `state_dict`; `parameters()` lists
only the first kind, `buffers()` the second.

Run `grade exercise11` to check your work, `grade hint exercise11` when stuck.
"""

from collections import OrderedDict  # noqa: F401  (for with_ordered_dict)

import torch  # noqa: F401  (torch.no_grad, for copy_weights)
from torch import nn


def with_add_module() -> nn.Sequential:
    """Return `nn.Sequential` of Conv2d(3, 3, 3), BatchNorm2d(3), ReLU(), built with add_module.

    The layers are named `conv`, `batchnorm` and `activation_layer`, in that order, and keep
    their default settings otherwise (Conv2d with stride 1, no padding, a bias).
    """
    raise NotImplementedError


def with_positional() -> nn.Sequential:
    """Return `nn.Sequential` of Conv2d(3, 3, 3), BatchNorm2d(3), ReLU(), named '0', '1', '2'."""
    raise NotImplementedError


def with_ordered_dict() -> nn.Sequential:
    """Return `nn.Sequential` of Conv2d(3, 3, 3), BatchNorm2d(3), ReLU() built from an OrderedDict.

    The layers are named `conv1`, `bn1` and `relu1`, in that order.
    """
    raise NotImplementedError


def copy_weights(src: nn.Sequential, dst: nn.Sequential) -> None:
    """Copy every parameter and buffer of `src` into `dst`, matching them by position.

    `src` and `dst` have the same layers in the same order but different names (one may say
    `conv.weight` where the other says `conv1.weight`). Afterwards `dst` computes the same
    function as `src` in training mode (parameters) and in evaluation mode (buffers: the batch
    norm's running statistics too). Copy the values: `dst` keeps its own tensors (changing
    `src` later must not change `dst`), and `src` is left unchanged. Returns None.
    """
    raise NotImplementedError
