# expect: passed
"""Writes through an open file, keeps an OrderedDict, strips with split."""

from collections import OrderedDict

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer, epoch: int, path) -> None:
    if isinstance(model, (nn.DataParallel, nn.parallel.DistributedDataParallel)):
        model = model.module
    with open(path, "wb") as handle:
        torch.save(
            {
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "epoch": epoch,
            },
            handle,
        )


def load_checkpoint(model, optimizer, path, device="cpu") -> int:
    with open(path, "rb") as handle:
        checkpoint = torch.load(handle, map_location=device, weights_only=True)
    missing, unexpected = model.load_state_dict(checkpoint["model_state_dict"])
    assert not missing and not unexpected
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    epoch = checkpoint["epoch"]
    return epoch


def strip_module_prefix(state_dict):
    result = OrderedDict()
    for key, value in state_dict.items():
        head, _, rest = key.partition(".")
        result[rest if head == "module" and rest else key] = value
    return result
