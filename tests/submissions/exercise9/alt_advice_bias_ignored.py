# expect: passed
# mistake_bias_ignored.py with the diagnosis of bias_ignored applied literally
import math

import torch
from torch import nn


class Affine(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        else:
            self.register_parameter('bias', None)

    def forward(self, x):
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias


def count_parameters(model, trainable_only=True):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def freeze(model, prefix):
    names = []
    for name, p in model.named_parameters():
        if name.startswith(prefix):
            p.requires_grad = False
            names.append(name)
    return names
