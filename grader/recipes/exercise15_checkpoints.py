"""Recipes for exercise 15: the training run that checkpoints interrupt.

The probes save and resume it with the learner's code; the checks train it without
interruption and compare.
"""

from __future__ import annotations

import torch
from torch import nn

KEYS = ("model_state_dict", "optimizer_state_dict", "epoch")


def build_setup(
    seed: int, kind: str, device: str = "cpu"
) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A small network with BatchNorm (buffers too) and an optimizer that keeps state."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    model = model.to(device)
    return model, make_optimizer(model, kind)


def make_optimizer(model: nn.Module, kind: str) -> torch.optim.Optimizer:
    """A fresh optimizer of `kind` for `model` (momentum buffers or Adam moments: state)."""
    if kind == "adam":
        return torch.optim.Adam(model.parameters(), lr=0.05)
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def train(
    model: nn.Module, optimizer: torch.optim.Optimizer, seed: int, start: int, steps: int
) -> None:
    """Steps `start` .. `start + steps - 1` of training; each step's batch depends on its index."""
    device = next(model.parameters()).device
    model.train()
    for step in range(start, start + steps):
        generator = torch.Generator().manual_seed(seed * 1000 + step)
        x = torch.randn(5, 4, generator=generator).to(device)
        y = torch.randint(0, 3, (5,), generator=generator).to(device)
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def final_state(model: nn.Module) -> list[torch.Tensor]:
    """Every parameter and buffer, in state-dict order, on the CPU."""
    return [t.detach().cpu().clone() for t in nn.Module.state_dict(model).values()]
