"""Probes for exercise 11: what each builder returns, and what copy_weights does to a model.

`build_styled` (`grader.recipes.exercise11_sequential`) is the recipe of the trusted models
copy_weights is tried on; the checks import it to compute, in the trusted process, what the
copied model must compute.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise11_sequential import build_styled, outputs_of, state_of

BUILDERS = ("with_add_module", "with_positional", "with_ordered_dict")


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _nn_classes(layer: Any) -> list[str]:
    return [k.__name__ for k in type(layer).__mro__ if k.__module__.startswith("torch.nn.")]


def _config(layer: Any) -> dict:
    """The settings of a layer that the curriculum fixes."""
    if isinstance(layer, nn.Conv2d):
        padding = layer.padding if isinstance(layer.padding, str) else list(layer.padding)
        return {
            "in_channels": layer.in_channels,
            "out_channels": layer.out_channels,
            "kernel_size": list(layer.kernel_size),
            "stride": list(layer.stride),
            "padding": padding,
            "dilation": list(layer.dilation),
            "groups": layer.groups,
            "bias": layer.bias is not None,
        }
    if isinstance(layer, nn.BatchNorm2d):
        return {
            "num_features": layer.num_features,
            "eps": float(layer.eps),
            "momentum": layer.momentum,
            "affine": bool(layer.affine),
            "track_running_stats": bool(layer.track_running_stats),
        }
    return {}


def probe_build(module: Any, builder: str) -> dict:
    """The container a builder returns and each of its layers: name, torch.nn classes, config."""
    if builder not in BUILDERS:
        raise ValueError(f"unknown builder {builder!r}")
    result = get(module, builder)()
    if isinstance(result, nn.Module):
        children = list(nn.Module.named_children(result))
    elif isinstance(result, (list, tuple)):
        children = [(str(i), layer) for i, layer in enumerate(result)]
    elif isinstance(result, dict):
        children = [(str(name), layer) for name, layer in result.items()]
    else:
        children = []
    return {
        "type": _type_name(result),
        "is_sequential": isinstance(result, nn.Sequential),
        "is_module_list": isinstance(result, nn.ModuleList),
        "layers": [
            {"name": name, "classes": _nn_classes(layer), "config": _config(layer)}
            for name, layer in children
        ],
    }


def probe_copy_weights(
    module: Any,
    src_style: str,
    dst_style: str,
    src_seed: int,
    dst_seed: int,
    x: torch.Tensor,
    device: str,
) -> dict:
    """copy_weights(src, dst) on two trusted models: their states, outputs, and independence."""
    src = build_styled(src_style, src_seed, 3).to(device)
    dst = build_styled(dst_style, dst_seed, 1).to(device)
    before = [id(p) for p in nn.Module.parameters(dst)]
    get(module, "copy_weights")(src, dst)
    facts = {
        "src_state": state_of(src),
        "dst_state": state_of(dst),
        "same_parameter_objects": [id(p) for p in nn.Module.parameters(dst)] == before,
        "parameters_ok": all(
            type(p) is nn.Parameter and p.requires_grad and p.is_leaf
            for p in nn.Module.parameters(dst)
        ),
    }
    x = x.to(device)
    facts["dst_outputs"] = outputs_of(dst, x)
    # Change every tensor of src in place: a dst that shares memory with src changes too.
    dst_before = state_of(dst)
    with torch.no_grad():
        for tensor in nn.Module.state_dict(src).values():
            tensor.add_(1)
    dst_after = state_of(dst)
    facts["dst_changed_with_src"] = len(dst_before) != len(dst_after) or any(
        not torch.equal(a, b) for a, b in zip(dst_before, dst_after, strict=False)
    )
    return facts
