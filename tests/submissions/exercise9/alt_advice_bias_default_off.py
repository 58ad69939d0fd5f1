# expect: passed
# mistake_bias_default_off.py with the diagnosis of bias_default_off applied literally
"""Exercise 9 with the default of bias flipped: Affine(3, 2) gets no bias, unlike nn.Linear(3, 2)."""

import math

import torch
from torch import Tensor, nn


class Affine(nn.Module):
    """A fully connected layer, y = x @ weight.T + bias, as nn.Linear computes it."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """Create and register weight (out_features, in_features) and bias (out_features,)."""
        # Module.__init__ creates the tables (_parameters, _modules, ...) that attribute
        # assignment fills in; without it the first nn.Parameter assignment raises.
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        bound = 1 / math.sqrt(in_features)
        # (out, in), as nn.Linear stores it: row j holds the weights of output j.
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        else:
            # Registered as None: `self.bias` exists (code may test `layer.bias is None`) but
            # parameters() and state_dict() skip it.
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        """x of shape (..., in_features), any number of leading dims -> (..., out_features)."""
        # `@` broadcasts over leading dims, unlike torch.mm / addmm, which need 2-D inputs.
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters in `model`, only trainable ones if `trainable_only`."""
    # numel() counts the scalars of one tensor; parameters() walks every submodule once.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def freeze(model: nn.Module, prefix: str) -> list[str]:
    """Set requires_grad=False on every parameter whose name starts with `prefix`."""
    frozen = []
    for name, p in model.named_parameters():
        # startswith, not `in`: "0" must not match "1.0.weight".
        if name.startswith(prefix):
            # The flag lives on each parameter; setting it on a module does nothing.
            p.requires_grad = False
            frozen.append(name)
    return frozen
