# expect: failed mistake=summed_unweighted
import copy

import torch


def split_batch(x, n):
    return list(torch.tensor_split(x, min(n, len(x))))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    # one replica reused for every chunk: its .grad adds up across the chunks
    replica = copy.deepcopy(model)
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        loss_fn(replica(xc), yc).backward()
    return {name: p.grad for name, p in replica.named_parameters()}
