"""Recipes for exercise 11: the trusted models copy_weights is tried on.

The probe runs the learner's copy_weights on models from `build_styled`; the check builds the
same models to compute what the copied model must compute.
"""

from collections import OrderedDict

import torch
from torch import nn

STYLES = {
    "add_module": ("conv", "batchnorm", "activation_layer"),
    "positional": ("0", "1", "2"),
    "ordered_dict": ("conv1", "bn1", "relu1"),
}


def build_styled(style: str, seed: int, warm_up_steps: int) -> nn.Sequential:
    """Conv2d(3, 3, 3), BatchNorm2d(3), ReLU() named in `style`, with trained-looking state.

    Batch norm's affine parameters are random and `warm_up_steps` training-mode forward passes
    move its running statistics, so parameters and buffers both differ between seeds.
    """
    torch.manual_seed(seed)
    layers = (nn.Conv2d(3, 3, 3), nn.BatchNorm2d(3), nn.ReLU())
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layers[1].weight.copy_(torch.rand(3, generator=generator) + 0.5)
        layers[1].bias.copy_(torch.randn(3, generator=generator))
    model = nn.Sequential(OrderedDict(zip(STYLES[style], layers, strict=True)))
    model.train()
    with torch.no_grad():
        for _ in range(warm_up_steps):
            model(torch.randn(4, 3, 6, 6, generator=generator) * 3 + 2)
    return model


def state_of(model: nn.Module) -> list[torch.Tensor]:
    """Copies of every tensor of the model's state_dict, in order (CPU)."""
    return [t.detach().clone().cpu() for t in nn.Module.state_dict(model).values()]


def outputs_of(model: nn.Module, x: torch.Tensor) -> dict:
    """The model's outputs for `x` in evaluation mode, then in training mode."""
    with torch.no_grad():
        nn.Module.eval(model)
        evaluated = model(x)
        # Training mode last: its forward pass moves the running statistics.
        nn.Module.train(model, True)
        trained = model(x)
    return {"eval": evaluated, "train": trained}
