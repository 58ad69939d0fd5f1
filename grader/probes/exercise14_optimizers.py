"""Probes for exercise 14: optimizer groups, hand-written SGD steps, scaled learning rates.

The model recipes (`FineTuneNet`, `build_step_net`, `build_scale_setup`) and their data are
shared with the checks, which rerun them with torch's own SGD in the trusted process.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get


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


def _number(value: Any) -> Any:
    """A learning rate as a float (it may be a 0-dim tensor); anything else as its repr."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    return repr(value)


def probe_finetune(module: Any, width: int, classes: int, seed: int) -> dict:
    """The optimizer's type, default lr, and each group's lr and parameter names in `net`."""
    torch.manual_seed(seed)
    net = FineTuneNet(width, classes)
    names = {id(p): name for name, p in nn.Module.named_parameters(net)}
    optimizer = get(module, "finetune_optimizer")(net)
    kind = type(optimizer)
    facts = {
        "type": f"{kind.__module__}.{kind.__qualname__}",
        "is_sgd": isinstance(optimizer, torch.optim.SGD),
        "groups": [],
        "defaults_lr": None,
    }
    if isinstance(optimizer, torch.optim.Optimizer):
        facts["defaults_lr"] = _number(optimizer.defaults.get("lr"))
        facts["groups"] = [
            {
                "params": [names.get(id(p), "<not_in_net>") for p in g["params"]],
                "lr": _number(g.get("lr")),
            }
            for g in optimizer.param_groups
        ]
    return facts


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


def probe_sgd_step(
    module: Any, seed: int, lr: float, steps: int, as_generator: bool, device: str
) -> dict:
    """The parameters after each of `steps` backward + sgd_step rounds, and their flags."""
    net = build_step_net(seed).to(device)
    params = list(nn.Module.parameters(net))
    sgd_step = get(module, "sgd_step")
    facts: dict[str, Any] = {"trajectory": [], "after": [], "stopped": False}
    for x, y in step_batches(seed, steps):
        loss = step_loss(net, x.to(device), y.to(device))
        if not loss.requires_grad:
            # Every trainable parameter stopped requiring grad: backward would raise here.
            facts["stopped"] = True
            break
        loss.backward()
        sgd_step(nn.Module.parameters(net) if as_generator else list(params), lr)
        now = list(nn.Module.parameters(net))
        facts["trajectory"].append([p.detach().clone() for p in now])
        facts["after"].append(
            {
                "same_objects": len(now) == len(params)
                and all(a is b for a, b in zip(now, params, strict=False)),
                "is_parameter": [type(p) is nn.Parameter for p in now],
                "is_leaf": [bool(p.is_leaf) for p in now],
                "requires_grad": [bool(p.requires_grad) for p in now],
                "grad_none": [p.grad is None for p in now],
                "grad_zero": [p.grad is not None and not bool(p.grad.any()) for p in now],
            }
        )
    return facts


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


def probe_scale(
    module: Any, seed: int, lrs: list[float], default_lr: float, factors: list[float], device: str
) -> dict:
    """The group and default lrs after scale_learning_rates, and the parameters after a step."""
    model, optimizer = build_scale_setup(seed, lrs, default_lr, device)
    scale = get(module, "scale_learning_rates")
    for factor in factors:
        scale(optimizer, factor)
    facts = {
        "group_lrs": [_number(g.get("lr")) for g in optimizer.param_groups],
        "defaults_lr": _number(optimizer.defaults.get("lr")),
    }
    scale_step(model, optimizer, seed)
    facts["after_step"] = [p.detach().clone() for p in nn.Module.parameters(model)]
    return facts
