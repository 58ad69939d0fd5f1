# expect: failed mistake=one_replica_only
import copy

import torch


def split_batch(x, n):
    return list(torch.tensor_split(x, min(n, len(x))))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    grads = {}
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica = copy.deepcopy(model)
        loss_fn(replica(xc), yc).backward()
        grads = {name: p.grad.clone() for name, p in replica.named_parameters()}
    return grads
