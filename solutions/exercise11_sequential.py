"""Exercise 11 · Three ways to build nn.Sequential (reference solution)."""

from collections import OrderedDict

import torch
from torch import nn


def with_add_module() -> nn.Sequential:
    """Return Conv2d(3, 3, 3), BatchNorm2d(3), ReLU() named conv, batchnorm, activation_layer."""
    # An empty Sequential grows one named layer at a time; add_module keeps insertion order.
    model = nn.Sequential()
    model.add_module("conv", nn.Conv2d(3, 3, 3))
    model.add_module("batchnorm", nn.BatchNorm2d(3))
    model.add_module("activation_layer", nn.ReLU())
    return model


def with_positional() -> nn.Sequential:
    """Return Conv2d(3, 3, 3), BatchNorm2d(3), ReLU() named '0', '1', '2'."""
    # Layers passed as positional arguments are named by their index.
    return nn.Sequential(nn.Conv2d(3, 3, 3), nn.BatchNorm2d(3), nn.ReLU())


def with_ordered_dict() -> nn.Sequential:
    """Return Conv2d(3, 3, 3), BatchNorm2d(3), ReLU() named conv1, bn1, relu1."""
    # Sequential treats a single OrderedDict argument as name -> layer, in the dict's order.
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(3, 3, 3)),
                ("bn1", nn.BatchNorm2d(3)),
                ("relu1", nn.ReLU()),
            ]
        )
    )


def copy_weights(src: nn.Sequential, dst: nn.Sequential) -> None:
    """Copy every parameter and buffer of `src` into `dst`, matched by position."""
    # state_dict holds parameters *and* buffers (running_mean, running_var,
    # num_batches_tracked), in registration order, so the two lists line up by position even
    # though their keys differ; parameters() alone would miss the buffers.
    src_state = src.state_dict()
    dst_state = dst.state_dict()
    if len(src_state) != len(dst_state):
        raise ValueError(f"src has {len(src_state)} tensors, dst has {len(dst_state)}")
    # Rename src's tensors to dst's keys and load them: load_state_dict copies the values into
    # dst's own tensors, so the two models stay independent.
    renamed = OrderedDict(zip(dst_state.keys(), src_state.values(), strict=True))
    with torch.no_grad():
        dst.load_state_dict(renamed)
