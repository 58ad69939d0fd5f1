"""Recipes for exercise 10: the trusted model predict is tried on.

The probe runs the learner's predict on it; the check builds it too, to compute what
evaluation mode must give.
"""

import torch
from torch import nn


def build_predict_model(in_channels: int, num_classes: int, seed: int) -> nn.Sequential:
    """The trusted model predict is tried on: batch norm with moved statistics, then dropout."""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(in_channels, 4, kernel_size=3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, num_classes),
    )
    generator = torch.Generator().manual_seed(seed)
    batch_norm = model[1]
    assert isinstance(batch_norm, nn.BatchNorm2d)  # built just above
    assert batch_norm.running_mean is not None and batch_norm.running_var is not None
    with torch.no_grad():
        # Running statistics far from a batch's own make train-mode outputs visibly different.
        batch_norm.running_mean.copy_(torch.randn(4, generator=generator))
        batch_norm.running_var.copy_(torch.rand(4, generator=generator) * 3 + 0.5)
        batch_norm.weight.copy_(torch.rand(4, generator=generator) + 0.5)
        batch_norm.bias.copy_(torch.randn(4, generator=generator))
    return model
