"""Probes for exercise 13: the learner's loss value and the gradient it gives the logits."""

from typing import Any

import torch

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.probes.ops import recording


def _loss_and_grad(loss: Any, logits: torch.Tensor, ran: list[str]) -> dict:
    """The loss as returned, the logits' gradient when backward on it is possible, what ran."""
    facts: dict[str, Any] = {"loss": loss, "grad": None, "differentiable": False, "ran": ran}
    if isinstance(loss, torch.Tensor):
        facts["device"] = loss.device.type
        facts["differentiable"] = bool(loss.requires_grad)
        # A (B,) loss has no single gradient: only a one-element loss is differentiated.
        if loss.requires_grad and loss.numel() == 1:
            loss.sum().backward()
            facts["grad"] = logits.grad
    return facts


def probe_cross_entropy(module: Any, logits: torch.Tensor, targets: torch.Tensor, device: str):
    """cross_entropy(logits, targets) and d loss / d logits."""
    leaf = logits.to(device).requires_grad_(True)
    targets, function = targets.to(device), get(module, "cross_entropy")
    original = targets.clone()
    with recording() as ran:  # only the learner's call: backward below is the probe's
        loss = function(leaf, targets)
    return {**_loss_and_grad(loss, leaf, ran), "targets_kept": _kept(targets, original)}


def _kept(targets: torch.Tensor, original: torch.Tensor) -> bool:
    """Whether the caller's targets are as they were (an in-place unsqueeze_ changes them)."""
    return targets.shape == original.shape and bool(torch.equal(targets, original))


def probe_cross_entropy_ignore(
    module: Any, logits: torch.Tensor, targets: torch.Tensor, ignore_index: int, device: str
) -> dict:
    """cross_entropy_ignore(logits, targets[, ignore_index]) and d loss / d logits."""
    leaf = logits.to(device).requires_grad_(True)
    targets, function = targets.to(device), get(module, "cross_entropy_ignore")
    original = targets.clone()
    with recording() as ran:
        if ignore_index == -100:
            # The default must be -100: leave it out to test it.
            loss = function(leaf, targets)
        else:
            loss = function(leaf, targets, ignore_index=ignore_index)
    return {**_loss_and_grad(loss, leaf, ran), "targets_kept": _kept(targets, original)}
