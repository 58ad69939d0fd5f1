# expect: passed
# mistake_pops_input.py with the diagnosis of modified_input applied literally
"""Renames the keys of the dict it was given."""

import torch
from torch import nn

PREFIX = "module."


def save_checkpoint(model, optimizer, epoch, path):
    if isinstance(model, nn.DataParallel):
        model = model.module
    torch.save(
        {
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "epoch": epoch,
        },
        path,
    )


def load_checkpoint(model, optimizer, path, device="cpu"):
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"]


def strip_module_prefix(state_dict):
    new = {}
    for key in list(state_dict):
        value = state_dict[key]
        new[key[len(PREFIX) :] if key.startswith(PREFIX) else key] = value
    return new
