"""Probes for exercise 1: the learner's result and whether it shares the input's memory."""

from typing import Any

import torch

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get


def probe_add_batch_dim(module: Any, image: torch.Tensor, device: str) -> dict:
    """The result of add_batch_dim, its device, and whether writing into it changes the input."""
    image = image.to(device)
    before = image.clone()
    out = get(module, "add_batch_dim")(image)
    facts = {"value": out, "device": None, "is_view": False, "input_shape": list(image.shape)}
    if isinstance(out, torch.Tensor):
        facts["device"] = out.device.type
        facts["value"] = out.detach().clone() if type(out) is torch.Tensor else out
        if out.numel():
            try:
                out[(0,) * out.dim()] += 1
            except RuntimeError:
                pass
            facts["is_view"] = not torch.equal(image, before)
    return facts


def probe_remove_batch_dim(module: Any, batch: torch.Tensor, device: str) -> dict:
    """The result of remove_batch_dim, its device, and the input's shape afterwards."""
    batch = batch.to(device)
    out = get(module, "remove_batch_dim")(batch)
    return {
        "value": out,
        "device": out.device.type if isinstance(out, torch.Tensor) else None,
        "input_shape": list(batch.shape),
    }
