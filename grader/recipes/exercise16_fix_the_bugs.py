"""Recipes for exercise 16: the models and data predict and evaluate are tried on.

The probes run the learner's functions on them; the checks build them too, to compute what a
correct function gives.
"""

from __future__ import annotations

import torch
from torch import nn


def predict_model(seed: int, features: int, classes: int) -> nn.Module:
    """A float32 classifier with Dropout (so evaluation mode matters)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(features, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, classes))


def evaluate_model(seed: int) -> nn.Module:
    """A classifier with BatchNorm and Dropout: training mode changes its outputs and buffers."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3)
    )


def evaluate_data(seed: int, examples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`examples` inputs (4 features) and class targets (3 classes)."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(examples, 4, generator=generator)
    return inputs, torch.randint(0, 3, (examples,), generator=generator)
