# expect: passed
# mistake_changes_original.py with the diagnosis of changed_original applied literally
import copy

import torch


def split_batch(x, n):
    return list(torch.tensor_split(x, min(n, len(x))))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    xs, ys = split_batch(x, n_replicas), split_batch(y, n_replicas)
    replicas = [copy.deepcopy(model) for _ in xs]
    grads = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for replica, xc, yc in zip(replicas, xs, ys):
        replica.zero_grad()
        loss_fn(replica(xc), yc).backward()
        for name, p in replica.named_parameters():
            grads[name] += p.grad * len(xc) / len(x)
    return grads
