"""Probes for exercise 8: the learner's chunks, and the gradients their replicas combine to.

Models and losses cannot travel to the worker: a probe builds them from a recipe (layer sizes,
an activation name, a state_dict of tensors, a loss name) with the builders of
`grader.recipes.exercise08_data_parallel`, which the checks use too, so both sides build the
very same model.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise08_data_parallel import LOSSES, build_model


def probe_split_batch(module: Any, x: torch.Tensor, n: int, device: str) -> dict:
    """The chunks split_batch returns, and the device of each chunk."""
    out = get(module, "split_batch")(x.to(device), n)
    devices = None
    if isinstance(out, (list, tuple)):
        devices = [c.device.type if isinstance(c, torch.Tensor) else None for c in out]
    return {"value": out, "devices": devices}


def _param_facts(model: nn.Module) -> tuple[dict, dict]:
    values = {name: p.detach().clone() for name, p in model.named_parameters()}
    grads = {
        name: None if p.grad is None else p.grad.detach().clone()
        for name, p in model.named_parameters()
    }
    return values, grads


def probe_data_parallel_grads(
    module: Any, recipe: dict, x: torch.Tensor, y: torch.Tensor, n_replicas: int, device: str
) -> dict:
    """The learner's gradients for a recipe model, and the model's parameters and .grad after."""
    model = build_model(recipe["sizes"], recipe["activation"], recipe["state"]).to(device)
    for name, p in model.named_parameters():
        if recipe.get("grads") is not None:
            p.grad = recipe["grads"][name].to(device)
    loss_fn = LOSSES[recipe["loss"]]()
    out = get(module, "data_parallel_grads")(model, loss_fn, x.to(device), y.to(device), n_replicas)
    if isinstance(out, dict) and type(out) is not dict:
        # An OrderedDict or another dict subclass is still a dict of gradients.
        out = dict(out)
    params_after, grads_after = _param_facts(model)
    return {"grads": out, "params_after": params_after, "grads_after": grads_after}
