# expect: passed
import math

import torch
import torch.nn.functional as F
from torch import nn


class Affine(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.bias = None
        # what nn.Linear does: kaiming_uniform_ with a=sqrt(5) has bound 1/sqrt(fan_in)
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.uniform_(self.bias, -1 / math.sqrt(in_features), 1 / math.sqrt(in_features))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def count_parameters(model, trainable_only=True):
    total = 0
    for _, p in model.named_parameters():
        if trainable_only and not p.requires_grad:
            continue
        total += math.prod(p.shape)
    return total


def freeze(model, prefix):
    chosen = [(n, p) for n, p in model.named_parameters() if n[: len(prefix)] == prefix]
    for _, p in chosen:
        p.requires_grad_(False)
    return [n for n, _ in chosen]
