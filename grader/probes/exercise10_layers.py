"""Probes for exercise 10: size formulas, SmallCNN's shapes, layers and modes, and predict.

`build_predict_model` (`grader.recipes.exercise10_layers`) is the recipe of the trusted model
that predict is tried on: the checks import it to compute, in the trusted process, what
evaluation mode must give.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise10_layers import build_predict_model

SIZE_FUNCTIONS = ("conv2d_output_size", "conv_transpose2d_output_size")


def probe_sizes(module: Any, function: str, configs: list[dict]) -> list:
    """The learner's size function `function` called with each dict of keyword arguments."""
    if function not in SIZE_FUNCTIONS:
        raise ValueError(f"unknown size function {function!r}")
    fn = get(module, function)
    return [fn(**config) for config in configs]


def nn_classes(layer: nn.Module) -> list[str]:
    """The torch.nn classes a layer is or derives from: what the learner's layer counts as."""
    return [k.__name__ for k in type(layer).__mro__ if k.__module__.startswith("torch.nn.")]


def _build_cnn(module: Any, kwargs: dict, seed: int, device: str) -> nn.Module:
    torch.manual_seed(seed)
    return get(module, "SmallCNN")(**kwargs).to(device)


def _inputs(shape: list[int], seed: int, device: str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator).to(device)


def probe_smallcnn_shapes(
    module: Any, kwargs: dict, eval_shape: list[int], train_shape: list[int], seed: int, device: str
) -> dict:
    """SmallCNN(**kwargs)'s outputs in evaluation mode and in training mode."""
    model = _build_cnn(module, kwargs, seed, device)
    nn.Module.eval(model)
    with torch.no_grad():
        evaluated = model(_inputs(eval_shape, seed, device))
    nn.Module.train(model, True)
    with torch.no_grad():
        trained = model(_inputs(train_shape, seed + 1, device))
    return {"eval": evaluated, "train": trained}


def probe_smallcnn_facts(module: Any, kwargs: dict) -> dict:
    """SmallCNN(**kwargs)'s layer types (every module, in order) and its parameter count."""
    model = _build_cnn(module, kwargs, 0, "cpu")
    layers = [nn_classes(m) for m in nn.Module.modules(model)]
    count = sum(int(p.numel()) for p in nn.Module.parameters(model))
    return {"layers": layers, "parameters": count}


def probe_smallcnn_modes(
    module: Any, in_channels: int, num_classes: int, shape: list[int], seed: int, device: str
) -> dict:
    """Two eval-mode calls, one eval-mode call on the first image alone, two train-mode calls."""
    model = _build_cnn(
        module, {"in_channels": in_channels, "num_classes": num_classes}, seed, device
    )
    x = _inputs(shape, seed, device)
    facts = {}
    with torch.no_grad():
        # A few training batches move the running statistics away from their initial values.
        nn.Module.train(model, True)
        for step in range(3):
            model(_inputs(shape, seed + 10 + step, device) * 2 + 1)
        nn.Module.eval(model)
        facts["eval_first"] = model(x)
        facts["eval_second"] = model(x)
        facts["eval_alone"] = model(x[:1])
        nn.Module.train(model, True)
        facts["train_first"] = model(x)
        facts["train_second"] = model(x)
    return facts


def _modes(model: nn.Module) -> list[bool]:
    return [bool(m.training) for m in nn.Module.modules(model)]


def probe_predict(
    module: Any,
    in_channels: int,
    num_classes: int,
    seed: int,
    x: torch.Tensor,
    start_training: bool,
    device: str,
) -> dict:
    """predict's result, how the forward pass ran (mode, grad mode), and the modes afterwards."""
    model = build_predict_model(in_channels, num_classes, seed).to(device)
    nn.Module.train(model, start_training)
    calls = []

    def record(layer: nn.Module, inputs: tuple) -> None:
        calls.append({"modes": _modes(model), "grad_enabled": torch.is_grad_enabled()})

    # On the first layer, not the container: model.forward(x) skips the container's hooks.
    handle = model[0].register_forward_pre_hook(record)
    try:
        out = get(module, "predict")(model, x.to(device))
    finally:
        handle.remove()
    facts = {"value": out, "calls": calls, "modes_after": _modes(model), "device": None}
    if isinstance(out, torch.Tensor):
        facts.update(
            value=out.detach().clone() if type(out) is torch.Tensor else out,
            device=out.device.type,
            requires_grad=bool(out.requires_grad),
            has_grad_fn=out.grad_fn is not None,
        )
    return facts
