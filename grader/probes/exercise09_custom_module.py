"""Probes for exercise 9: what the learner's Affine registers, computes and moves, and what
count_parameters and freeze do to models built here from plain-data recipes.

`build_module` (`grader.recipes.exercise09_custom_module`) turns a recipe (nested dicts naming
Linear, Conv2d, Embedding, BatchNorm1d and ReLU layers inside nn.Sequential and nn.ModuleDict
containers) into a module; the checks use it too, so both sides agree on every parameter name
and shape.
"""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise09_custom_module import build_frozen

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _plain(value: Any) -> Any:
    """A learner's tensor attribute as a plain detached tensor; anything else as it is."""
    if isinstance(value, torch.Tensor):
        return value.detach().as_subclass(torch.Tensor).clone()
    return value


def _attribute(model: nn.Module, name: str) -> dict:
    """What `model.<name>` is: a Parameter, a plain tensor, None, missing or something else."""
    try:
        value = getattr(model, name)
    except AttributeError:
        return {"kind": "missing"}
    if value is None:
        return {"kind": "none"}
    if not isinstance(value, torch.Tensor):
        return {"kind": "other", "type": type(value).__name__}
    return {
        "kind": "parameter" if isinstance(value, nn.Parameter) else "tensor",
        "shape": list(value.shape),
        "dtype": str(value.dtype).removeprefix("torch."),
        "device": value.device.type,
    }


def _make_affine(module: Any, in_features: int, out_features: int, bias: bool | None) -> nn.Module:
    """Affine(in, out, bias=bias), or Affine(in, out) with bias None (its default is True)."""
    if bias is None:
        return get(module, "Affine")(in_features, out_features)
    return get(module, "Affine")(in_features, out_features, bias=bias)


def _initialized(model: Any) -> bool:
    """Whether Module.__init__ ran on `model` (it creates the parameter table)."""
    return isinstance(model, nn.Module) and "_parameters" in vars(model)


def probe_affine_structure(
    module: Any, in_features: int, out_features: int, bias: bool | None
) -> dict:
    """What a new Affine registers: parameters, state_dict keys, and its weight/bias attributes."""
    model = _make_affine(module, in_features, out_features, bias)
    facts: dict[str, Any] = {
        "is_module": isinstance(model, nn.Module),
        "initialized": _initialized(model),
    }
    if not facts["initialized"]:
        return facts
    facts["parameters"] = [
        [name, list(p.shape), bool(p.requires_grad)] for name, p in model.named_parameters()
    ]
    facts["state_dict"] = {k: list(v.shape) for k, v in model.state_dict().items()}
    facts["weight"] = _attribute(model, "weight")
    facts["bias"] = _attribute(model, "bias")
    return facts


def probe_affine_forward(
    module: Any,
    in_features: int,
    out_features: int,
    bias: bool,
    x: torch.Tensor,
    dtype: str,
    device: str,
    seed: int,
) -> dict:
    """Affine moved to (device, dtype) and called on x; its output and its own weight and bias."""
    torch.manual_seed(seed)
    model = _make_affine(module, in_features, out_features, bias)
    if not _initialized(model):
        return {"initialized": False}
    model.to(device=device, dtype=DTYPES[dtype])
    out = model(x.to(device=device, dtype=DTYPES[dtype]))
    return {
        "initialized": True,
        "out": _plain(out),
        "out_device": out.device.type if isinstance(out, torch.Tensor) else None,
        "weight": _plain(getattr(model, "weight", None)),
        "bias": _plain(getattr(model, "bias", None)),
    }


def probe_affine_moves(module: Any, in_features: int, out_features: int, bias: bool) -> dict:
    """The dtype of every parameter and attribute after .double(), and device after .to('meta')."""
    model = _make_affine(module, in_features, out_features, bias)
    if not _initialized(model):
        return {"initialized": False}
    facts: dict = {"initialized": True}
    for step, move in (("double", lambda m: m.double()), ("meta", lambda m: m.to("meta"))):
        move(model)
        facts[step] = {
            "parameters": {
                name: [str(p.dtype).removeprefix("torch."), p.device.type]
                for name, p in model.named_parameters()
            },
            "weight": _attribute(model, "weight"),
            "bias": _attribute(model, "bias"),
        }
    return facts


def probe_affine_init(module: Any, in_features: int, out_features: int, seed: int) -> dict:
    """The starting values of a new Affine's weight and bias."""
    torch.manual_seed(seed)
    model = _make_affine(module, in_features, out_features, True)
    if not _initialized(model):
        return {"initialized": False}
    return {
        "initialized": True,
        "weight": _plain(getattr(model, "weight", None)),
        "bias": _plain(getattr(model, "bias", None)),
    }


def probe_affine_backward(
    module: Any,
    in_features: int,
    out_features: int,
    bias: bool,
    x: torch.Tensor,
    upstream: torch.Tensor,
    seed: int,
) -> dict:
    """Backward of (Affine(x) * upstream).sum(): the weight, bias and their .grad afterwards."""
    torch.manual_seed(seed)
    model = _make_affine(module, in_features, out_features, bias)
    if not _initialized(model):
        return {"initialized": False}
    out = model(x)
    facts = {
        "initialized": True,
        "out_shape": list(out.shape) if isinstance(out, torch.Tensor) else None,
        "out_requires_grad": bool(getattr(out, "requires_grad", False)),
        "weight": _plain(getattr(model, "weight", None)),
        "bias": _plain(getattr(model, "bias", None)),
    }
    if facts["out_shape"] != list(upstream.shape) or not facts["out_requires_grad"]:
        return facts
    (out * upstream).sum().backward()
    for name in ("weight", "bias"):
        value = getattr(model, name, None)
        grad = value.grad if isinstance(value, torch.Tensor) else None
        facts[name + "_grad"] = _plain(grad)
    return facts


def probe_count_parameters(
    module: Any, recipe: dict, frozen: list[str], trainable_only: bool | None
) -> Any:
    """count_parameters on the recipe's model (trainable_only None: the default is used)."""
    model = build_frozen(recipe, frozen)
    count = get(module, "count_parameters")
    return count(model) if trainable_only is None else count(model, trainable_only=trainable_only)


def probe_freeze(module: Any, recipe: dict, frozen: list[str], prefix: str) -> dict:
    """freeze's answer on the recipe's model, and every parameter's requires_grad afterwards."""
    model = build_frozen(recipe, frozen)
    names = get(module, "freeze")(model, prefix)
    flags = [[name, bool(p.requires_grad)] for name, p in model.named_parameters()]
    return {"names": names, "requires_grad": flags}
