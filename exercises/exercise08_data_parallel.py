"""Exercise 8 · Data parallelism by hand: one loss per replica.

Data parallelism trains one model on several devices at once. For every batch it

1. *scatters* the batch: splits it along dim 0 into one chunk per device;
2. *replicates* the model: one copy per device, with the same parameter values;
3. runs forward (and later backward) of each chunk on its own replica, in parallel;
4. combines the replicas' gradients into one gradient, and a single optimizer step follows.

A batch of 5 rows over 2 replicas:

    >>> x = torch.arange(10.).view(5, 2)
    >>> [tuple(c.shape) for c in split_batch(x, 2)]
    [(3, 2), (2, 2)]

Where the loss is computed decides step 4. `nn.DataParallel` *gathers* the replicas' outputs
back into one batch on `output_device` (default: `device_ids[0]`) and you compute ONE loss on
the whole batch; backward through the replicate step simply *sums* the replicas' gradients, and
that sum already is the whole-batch gradient, even for chunks of unequal size. In
`DistributedDataParallel` (DDP, one process per device, the tool PyTorch recommends) every
process computes its OWN loss, a mean over its own chunk, and the gradients are averaged. This
exercise does the latter by hand. A loss such as `nn.MSELoss()` *averages* over its batch, so
replica i gives the gradient of the mean over its chunk of size b_i, while the gradient of the
mean over the whole batch of size B is the weighted sum

    grad = sum_i (b_i / B) * grad_i

A plain average of the grad_i is only right when every chunk has the same size (which is why
DDP's samplers give every process the same number of examples).

Here everything runs on one device, with plain Python. (`nn.parallel.data_parallel(module,
inputs, device_ids, output_device)` is the functional form of `nn.DataParallel`: one call, no
wrapper module.)

Run `grade exercise8` to check your work, `grade hint exercise8` when stuck.
"""

import copy  # noqa: F401  (copy.deepcopy makes an independent replica of a module)
from collections.abc import Callable

import torch  # noqa: F401
from torch import Tensor, nn


def split_batch(x: Tensor, n: int) -> list[Tensor]:
    """Split `x` along dim 0 into one chunk per device, as evenly as possible.

    `x` has at least one row and `n >= 1`. Return a list of `min(n, len(x))` tensors (a tuple
    is fine too) whose sizes differ by at most one, the larger chunks first, the rows in their
    original order: concatenating the chunks gives `x` back. 10 rows over 4 devices are
    chunks of 3, 3, 2, 2 rows; 2 rows over 4 devices are 2 chunks of 1 row (no empty chunks).

    Careful: `torch.chunk(x, 4)` on 10 rows gives 3, 3, 3, 1, and `torch.chunk(x, 4)` on 6 rows
    gives only 3 chunks of 2. (nn.DataParallel itself uses `chunk`; here every device gets a
    fair share.) Each chunk keeps the device and dtype of `x`.
    """
    raise NotImplementedError


def data_parallel_grads(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    n_replicas: int,
) -> dict[str, Tensor]:
    """The gradient of `loss_fn(model(x), y)`, computed data-parallel, one loss per replica.

    Split `x` and `y` with `split_batch(..., n_replicas)`, make one replica of `model` per chunk
    (`copy.deepcopy`), run forward and backward of each chunk on its own replica, and combine
    the replicas' gradients into the gradient of the loss on the whole batch. Each replica
    computes its own loss on its own chunk, as each process of DDP does, and `loss_fn` averages
    over its batch (like `nn.MSELoss()` or `nn.CrossEntropyLoss()`): weigh each replica's
    gradient by its share of the batch.

    Return `{name: gradient}` for every name of `model.named_parameters()`, each gradient a
    tensor of that parameter's shape. `model` itself is left exactly as it was: its parameter
    values and its `.grad` (which may already hold something) are unchanged.
    """
    raise NotImplementedError
