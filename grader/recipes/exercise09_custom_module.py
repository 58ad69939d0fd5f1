"""Recipes for exercise 9: the models count_parameters and freeze are tried on.

`build_module` turns a recipe (nested dicts naming Linear, Conv2d, Embedding, BatchNorm1d and
ReLU layers inside nn.Sequential and nn.ModuleDict containers) into a module; both sides use
it, so they agree on every parameter name and shape.
"""

from torch import nn


def build_module(recipe: dict) -> nn.Module:
    """The module a recipe describes."""
    kind = recipe["kind"]
    if kind == "linear":
        return nn.Linear(recipe["in"], recipe["out"], bias=recipe["bias"])
    if kind == "conv":
        return nn.Conv2d(recipe["in"], recipe["out"], recipe["k"], bias=recipe["bias"])
    if kind == "embedding":
        return nn.Embedding(recipe["num"], recipe["dim"])
    if kind == "batchnorm":
        return nn.BatchNorm1d(recipe["n"])
    if kind == "relu":
        return nn.ReLU()
    if kind == "seq":
        return nn.Sequential(*(build_module(c) for c in recipe["children"]))
    if kind == "dict":
        return nn.ModuleDict({k: build_module(c) for k, c in recipe["children"].items()})
    raise ValueError(f"unknown layer kind {kind!r}")


def build_frozen(recipe: dict, frozen: list[str]) -> nn.Module:
    """The recipe's module with the parameters named in `frozen` already frozen."""
    model = build_module(recipe)
    for name, p in model.named_parameters():
        if name in frozen:
            p.requires_grad_(False)
    return model
