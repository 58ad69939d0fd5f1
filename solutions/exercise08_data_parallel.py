"""Exercise 8 · Data parallelism by hand: one loss per replica (reference solution)."""

import copy
from collections.abc import Callable

import torch
from torch import Tensor, nn


def split_batch(x: Tensor, n: int) -> list[Tensor]:
    """Split `x` along dim 0 into min(n, len(x)) chunks of sizes that differ by at most one."""
    # Never more chunks than rows: a device with an empty chunk would have nothing to do.
    parts = min(n, len(x))
    # divmod gives the base size and how many chunks take one extra row; those come first.
    base, extra = divmod(len(x), parts)
    sizes = [base + 1] * extra + [base] * (parts - extra)
    # torch.split with a list of sizes returns views, in order; torch.tensor_split(x, parts)
    # computes exactly the same sizes.
    return list(torch.split(x, sizes))


def data_parallel_grads(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    n_replicas: int,
) -> dict[str, Tensor]:
    """The whole-batch gradient of loss_fn(model(x), y), from one replica per chunk."""
    xs = split_batch(x, n_replicas)
    ys = split_batch(y, n_replicas)
    total = len(x)
    grads = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for x_chunk, y_chunk in zip(xs, ys, strict=True):
        # A deep copy has its own parameters (same values) and no .grad: backward on it never
        # touches the original model, as on a separate GPU.
        replica = copy.deepcopy(model)
        loss_fn(replica(x_chunk), y_chunk).backward()
        # Each replica computes its own loss, as each DDP process does (nn.DataParallel instead
        # computes one loss on the gathered outputs, and a plain sum of the replicas' gradients
        # is then right). This chunk's loss is a mean over len(x_chunk) rows; the whole batch's
        # loss is a mean over `total` rows, so it contributes len(x_chunk) / total of its
        # gradient.
        weight = len(x_chunk) / total
        for name, p in replica.named_parameters():
            if p.grad is not None:
                grads[name] += weight * p.grad
    return grads
