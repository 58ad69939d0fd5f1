"""Exercise 9 · Writing an nn.Module.

A layer is a class that inherits from `nn.Module`. Its `__init__` first calls
`super().__init__()` (which sets up the module's bookkeeping; `super(MyLayer, self).__init__()`
in older code is the same call, spelled the Python 2 way), then creates its learnable
tensors as `nn.Parameter`s and assigns them to attributes. Assigning an `nn.Parameter` to an
attribute *registers* it: from then on

* `model.parameters()` / `named_parameters()` list it, so an optimizer updates it;
* `model.state_dict()` saves it under the attribute's name;
* `model.to(device)`, `model.double()`, `model.cuda()` move and convert it.

A plain tensor assigned to an attribute gets none of this. `forward(x)` says what the layer
computes; call the module itself, `model(x)`, which runs `forward` (and any hooks).

    >>> layer = Affine(3, 2)
    >>> [(name, tuple(p.shape)) for name, p in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]
    >>> layer(torch.ones(5, 3)).shape
    torch.Size([5, 2])

Nested modules name their parameters with dotted paths: in
`nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))` they are `0.weight`, `0.bias`,
`2.weight`, `2.bias`. A parameter with `requires_grad = False` is *frozen*: backward computes
no gradient for it, so the optimizer leaves it alone (fine-tuning freezes a pretrained body).

Run `grade exercise9` to check your work, `grade hint exercise9` when stuck.
"""

import math  # noqa: F401

import torch  # noqa: F401
from torch import Tensor, nn


class Affine(nn.Module):
    """A fully connected layer, y = x @ weight.T + bias, as nn.Linear computes it.

    `weight` has shape (out_features, in_features) and `bias` shape (out_features,); both are
    `nn.Parameter`s, registered under exactly those names (so `state_dict()` has the keys
    'weight' and 'bias'). Both start with values drawn uniformly from
    (-1/sqrt(in_features), 1/sqrt(in_features)) (`torch.rand` gives [0, 1); `tensor.uniform_`
    fills in place). With `bias=False` there is no bias parameter, and `self.bias` is None
    (`self.register_parameter("bias", None)` or `self.bias = None`).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """Create and register weight (out_features, in_features) and bias (out_features,)."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x of shape (..., in_features), any number of leading dims -> (..., out_features)."""
        raise NotImplementedError


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters in `model` (a Python int).

    A weight of shape (3, 4) counts 12, not 1. Count every parameter of every submodule (what
    `model.parameters()` yields), not buffers such as BatchNorm's running mean. With
    `trainable_only=True` (the default) count only the parameters that require grad.
    """
    raise NotImplementedError


def freeze(model: nn.Module, prefix: str) -> list[str]:
    """Freeze every parameter whose name (from `named_parameters()`) starts with `prefix`.

    Set `requires_grad = False` on those parameters and leave every other parameter as it
    was (one frozen before stays frozen). Return their names, in the order of
    `named_parameters()`. The prefix is a plain string prefix: "enc" matches "encoder.weight"
    and "enc.bias", while "0" matches "0.weight" but never "1.0.weight".
    """
    raise NotImplementedError
