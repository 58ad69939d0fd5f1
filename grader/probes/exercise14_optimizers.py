"""Probes for exercise 14: optimizer groups, hand-written SGD steps, scaled learning rates.

The model recipes (`FineTuneNet`, `build_step_net`, `build_scale_setup`) and their data, in
`grader.recipes.exercise14_optimizers`, are shared with the checks, which rerun them with
torch's own SGD in the trusted process.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise14_optimizers import (
    FineTuneNet,
    build_scale_setup,
    build_step_net,
    scale_step,
    step_batches,
    step_loss,
)


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
