# expect: passed
# mistake_drop_remainder.py with the diagnosis of dropped_remainder applied literally
import copy

import torch


def split_batch(x, n):
    k = min(n, len(x))
    size, leftover = len(x) // k, len(x) % k
    sizes = [size + 1 if i < leftover else size for i in range(k)]
    return list(torch.split(x, sizes))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    grads = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica = copy.deepcopy(model)
        loss_fn(replica(xc), yc).backward()
        for name, p in replica.named_parameters():
            grads[name] += p.grad * len(xc) / len(x)
    return grads
