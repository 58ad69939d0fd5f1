"""Probes for exercise 16: the five functions with a classic bug each.

The models the checks reason about are built here from recipes shared with the checks
(`predict_model`, `evaluate_model`, `evaluate_data`, in `grader.recipes.exercise16_fix_the_bugs`).
A forward pre-hook records, at each call of the model, whether grad mode was on and whether the
model was in training mode: evidence of "no graph recorded" and "evaluation mode" however the
learner wrote it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.probes.common import *  # noqa: F403
from grader.probes.common import EmulatedCuda, emulated_cuda_module, emulating_cuda, get
from grader.recipes.exercise16_fix_the_bugs import evaluate_data, evaluate_model, predict_model


def _plain(value: Any) -> Any:
    """A learner's result as it can travel: tensors (on the CPU) and arrays as they are."""
    if isinstance(value, EmulatedCuda):
        return value.detach().as_subclass(torch.Tensor)
    if isinstance(value, torch.Tensor):
        return value.detach()
    return value


def probe_classify(module: Any, logits: torch.Tensor, labels: torch.Tensor, device: str) -> dict:
    """classify_loss on `logits` and `labels` moved to `device`, and the gradient it gives."""
    scores = logits.to(device).requires_grad_()
    out = get(module, "classify_loss")(scores, labels.to(device))
    facts = {"value": _plain(out), "grad": None}
    if isinstance(out, torch.Tensor) and out.requires_grad and out.numel() == 1:
        out.sum().backward()
        facts["grad"] = scores.grad
    return facts


def _record_calls(model: nn.Module) -> list[list[bool]]:
    """[grad mode on, model.training] at every call of `model`."""
    calls: list[list[bool]] = []

    def hook(mod: nn.Module, args: tuple) -> None:
        calls.append([torch.is_grad_enabled(), bool(mod.training)])

    model.register_forward_pre_hook(hook)
    return calls


def probe_predict(
    module: Any, seed: int, features: torch.Tensor, classes: int, training: bool, device: str
) -> dict:
    """predict on a float64 array; its result, the calls seen, the mode and dtypes afterwards."""
    model = predict_model(seed, features.shape[1], classes).to(device)
    model.train(training)
    calls = _record_calls(model)
    torch.manual_seed(seed)
    out = get(module, "predict")(model, features.numpy())
    return {
        "value": _plain(out),
        "calls": calls,
        "training_after": bool(model.training),
        "dtypes_after": sorted({str(p.dtype) for p in nn.Module.parameters(model)}),
    }


def probe_predict_emulated(
    module: Any, seed: int, features: torch.Tensor, classes: int, training: bool
) -> dict:
    """predict for a model on a GPU, emulated (`emulating_cuda`): the input must go to the
    model's device (or the model raises "Expected all tensors to be on the same device"), and
    the result must come back to the CPU before `.numpy()`."""
    model = emulated_cuda_module(predict_model(seed, features.shape[1], classes))
    model.train(training)
    calls = _record_calls(model)
    torch.manual_seed(seed)
    with emulating_cuda():
        out = get(module, "predict")(model, features.numpy())
    return {"value": _plain(out), "calls": calls}


def probe_mlp_params(module: Any, sizes: list[int]) -> dict:
    """What MLP(sizes) registers: parameter names and shapes, state_dict keys, `layers`' type."""
    model = get(module, "MLP")(sizes)
    if not isinstance(model, nn.Module):
        return {"is_module": False, "type": type(model).__name__}
    layers = getattr(model, "layers", None)
    return {
        "is_module": True,
        "names": [name for name, _ in nn.Module.named_parameters(model)],
        "shapes": [list(p.shape) for p in nn.Module.parameters(model)],
        "state_keys": list(nn.Module.state_dict(model)),
        "layers_type": type(layers).__name__,
    }


def _linears(model: nn.Module) -> tuple[list[nn.Linear], bool]:
    """The model's Linear layers in order, and whether the module itself knows them."""
    found = [m for m in nn.Module.modules(model) if type(m) is nn.Linear]
    if found:
        return found, True
    layers = getattr(model, "layers", None)
    if isinstance(layers, (list, tuple)):
        return [m for m in layers if type(m) is nn.Linear], False
    return [], False


def probe_mlp_forward(
    module: Any, sizes: list[int], weights: list[torch.Tensor], x: torch.Tensor, device: str
) -> dict:
    """MLP(sizes) with the given weights (W0, b0, W1, b1...), moved to `device`, applied to x."""
    model = get(module, "MLP")(sizes)
    linears, registered = _linears(model)
    facts = {"registered": registered, "linears": len(linears), "value": None}
    if len(linears) * 2 != len(weights):
        return facts
    with torch.no_grad():
        for layer, (w, b) in zip(
            linears, zip(weights[::2], weights[1::2], strict=True), strict=True
        ):
            layer.weight.copy_(w)
            layer.bias.copy_(b)
    model = model.to(device)
    facts["value"] = _plain(model(x.to(device)))
    return facts


def probe_swish(module: Any, x: torch.Tensor, requires_grad: bool, leaf: bool, device: str) -> dict:
    """swish(x): its value, x afterwards, and (if x requires grad) the gradient of sum()."""
    base = x.to(device).clone()
    if requires_grad:
        base.requires_grad_()
    given = base if leaf or not requires_grad else base * 1
    before = given.detach().clone()
    out = get(module, "swish")(given)
    facts = {
        "value": _plain(out),
        "input_unchanged": bool(torch.equal(given.detach(), before)),
        "grad": None,
    }
    if requires_grad and isinstance(out, torch.Tensor) and out.requires_grad:
        out.sum().backward()
        facts["grad"] = base.grad
    return facts


def probe_evaluate(
    module: Any, seed: int, examples: int, batch_size: int, training: bool, device: str
) -> dict:
    """evaluate over a DataLoader of uneven batches; the result and what the model went through."""
    model = evaluate_model(seed).to(device)
    model.train(training)
    calls = _record_calls(model)
    before = [t.detach().clone() for t in nn.Module.state_dict(model).values()]
    inputs, targets = evaluate_data(seed, examples)
    loader = DataLoader(TensorDataset(inputs.to(device), targets.to(device)), batch_size=batch_size)
    torch.manual_seed(seed)
    out = get(module, "evaluate")(model, loader, nn.CrossEntropyLoss())
    after = list(nn.Module.state_dict(model).values())
    return {
        "value": _plain(out),
        "type": type(out).__name__,
        "requires_grad": bool(getattr(out, "requires_grad", False)),
        "calls": calls,
        "training_after": bool(model.training),
        "buffers_changed": any(
            not torch.equal(a, b.detach()) for a, b in zip(before, after, strict=False)
        ),
    }
