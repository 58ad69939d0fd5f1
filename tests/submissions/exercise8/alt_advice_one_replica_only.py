# expect: passed
# mistake_one_replica.py with the diagnosis of one_replica_only applied literally
import copy

import torch


def split_batch(x, n):
    return list(torch.tensor_split(x, min(n, len(x))))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    grads = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica = copy.deepcopy(model)
        loss_fn(replica(xc), yc).backward()
        for name, p in replica.named_parameters():
            grads[name] += p.grad * len(xc) / len(x)
    return grads
