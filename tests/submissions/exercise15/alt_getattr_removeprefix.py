# expect: passed
"""Unwraps with getattr, loads to a torch.device, strips with str.removeprefix."""

import pathlib

import torch


def save_checkpoint(model, optimizer, epoch, path):
    inner = getattr(model, "module", model)
    state = {
        "epoch": epoch,
        "optimizer_state_dict": optimizer.state_dict(),
        "model_state_dict": inner.state_dict(),
        "note": "extra keys are fine",
    }
    torch.save(state, pathlib.Path(path))


def load_checkpoint(model, optimizer, path, device="cpu"):
    checkpoint = torch.load(str(path), map_location=torch.device(device), weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return checkpoint["epoch"]


def strip_module_prefix(state_dict):
    out = {}
    for key in state_dict:
        out[key.removeprefix("module.")] = state_dict[key]
    return out
