# expect: passed
import torch
from torch import nn


class Affine(nn.Module):
    def __init__(self, in_features, out_features, bias=True):
        super(Affine, self).__init__()
        scale = in_features**-0.5
        self.weight = nn.Parameter((torch.rand(out_features, in_features) * 2 - 1) * scale)
        self.register_parameter(
            "bias", nn.Parameter((torch.rand(out_features) * 2 - 1) * scale) if bias else None
        )

    def forward(self, x):
        y = torch.einsum("...i,oi->...o", x, self.weight)
        if self.bias is not None:
            y = y + self.bias
        return y


def count_parameters(model, trainable_only=True):
    params = (
        [p for p in model.parameters() if p.requires_grad]
        if trainable_only
        else list(model.parameters())
    )
    return int(sum(p.numel() for p in params))


def freeze(model, prefix):
    out = []
    for name, param in model.named_parameters():
        if not name.startswith(prefix):
            continue
        param.requires_grad = False
        out += [name]
    return out
