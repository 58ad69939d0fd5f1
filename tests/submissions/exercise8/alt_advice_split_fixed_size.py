# expect: passed
# mistake_split_fixed.py with the diagnosis of split_fixed_size applied literally
import copy

import torch


def split_batch(x, n):
    k = min(n, len(x))
    sizes = [len(x) // k + (1 if i < len(x) % k else 0) for i in range(k)]
    return list(torch.split(x, sizes))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    grads = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica = copy.deepcopy(model)
        loss_fn(replica(xc), yc).backward()
        for name, p in replica.named_parameters():
            grads[name] += p.grad * len(xc) / len(x)
    return grads
