# expect: passed
# mistake_no_optimizer_load.py with the diagnosis of optimizer_not_restored applied literally
"""Restores only the model."""

import torch
from torch import nn

PREFIX = "module."


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, path) -> None:
    """Write model state, optimizer state and epoch to one file at `path`."""
    # The wrapper's keys all start with "module."; saving the inner network keeps the file
    # loadable into a plain model (on one GPU, on the CPU, for inference).
    if isinstance(model, nn.DataParallel):
        model = model.module
    # State dicts only: tensors and plain values, which weights_only=True accepts. Pickling
    # the module or the optimizer itself would tie the file to their classes' import paths.
    torch.save(
        {
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "epoch": int(epoch),
        },
        path,
    )


def load_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, path, device="cpu") -> int:
    """Restore model and optimizer from `path`; return the saved epoch."""
    # map_location: tensors saved from cuda:0 are created on `device` instead, so the file
    # loads on a machine without that GPU. weights_only: never run code named in the file.
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    # strict (the default): a missing or unexpected key raises instead of leaving some
    # layers at their random initial values.
    model.load_state_dict(checkpoint["model_state_dict"])
    # Momentum buffers / Adam moments: without them the resumed run differs from one that
    # never stopped. load_state_dict moves that state to the parameters' device.
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    return int(checkpoint["epoch"])


def strip_module_prefix(state_dict: dict) -> dict:
    """The same entries, with one leading "module." removed from each key that has it."""
    # A new dict built in the original order; the tensors themselves are shared, not copied.
    # Slicing after startswith removes exactly one prefix: str.lstrip("module.") would strip
    # any of those characters ("module.decoder" -> "coder"), replace() would strip it anywhere.
    return {
        (key[len(PREFIX) :] if key.startswith(PREFIX) else key): value
        for key, value in state_dict.items()
    }
