"""Recipes for exercise 14: the models, data and steps the optimizer functions are tried on.

The probes run them with the learner's code; the checks rerun them with torch's own SGD.
"""

import torch
from torch import nn


class FineTuneNet(nn.Module):
    """A pretrained-looking network: a feature extractor and a classifier on top."""

    def __init__(self, width: int, classes: int) -> None:
        """Conv features of `width` channels, a two-layer classifier to `classes` scores."""
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(nn.Linear(width, 8), nn.ReLU(), nn.Linear(8, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features, then classifier."""
        return self.classifier(self.features(x))


class StepNet(nn.Module):
    """A small MLP with a frozen first layer and a layer the loss never uses."""

    def __init__(self) -> None:
        """Frozen 4->6, trainable 6->5->2, and an unused 3->3 (its grad stays None)."""
        super().__init__()
        self.frozen = nn.Linear(4, 6)
        self.hidden = nn.Linear(6, 5)
        self.out = nn.Linear(5, 2)
        self.unused = nn.Linear(3, 3)
        self.frozen.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """frozen -> tanh -> hidden -> tanh -> out."""
        return self.out(torch.tanh(self.hidden(torch.tanh(self.frozen(x)))))


def build_step_net(seed: int) -> StepNet:
    """The network sgd_step is tried on, initialised from `seed`."""
    torch.manual_seed(seed)
    return StepNet()


def step_batches(seed: int, steps: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One (inputs, targets) batch per step."""
    generator = torch.Generator().manual_seed(seed)
    return [
        (torch.randn(8, 4, generator=generator), torch.randn(8, 2, generator=generator))
        for _ in range(steps)
    ]


def step_loss(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss whose gradients each step follows."""
    return ((net(x) - y) ** 2).mean()


def build_scale_setup(
    seed: int, lrs: list[float], default_lr: float, device: str = "cpu"
) -> tuple[nn.Sequential, torch.optim.SGD]:
    """A chain of Linear(3, 3) layers, one parameter group (with its own lr) per layer."""
    torch.manual_seed(seed)
    model = nn.Sequential(*[nn.Linear(3, 3) for _ in lrs]).to(device)
    groups = [
        {"params": layer.parameters(), "lr": lr} for layer, lr in zip(model, lrs, strict=True)
    ]
    return model, torch.optim.SGD(groups, lr=default_lr)


def scale_step(model: nn.Module, optimizer: torch.optim.Optimizer, seed: int) -> None:
    """One ordinary training step of the scale setup."""
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    x = torch.randn(5, 3, generator=generator).to(device)
    y = torch.randn(5, 3, generator=generator).to(device)
    optimizer.zero_grad()
    ((model(x) - y) ** 2).mean().backward()
    optimizer.step()
