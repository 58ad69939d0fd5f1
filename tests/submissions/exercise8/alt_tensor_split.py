# expect: passed
import copy
from collections import OrderedDict

import torch


def split_batch(x, n):
    return torch.tensor_split(x, min(n, x.shape[0]))


def data_parallel_grads(model, loss_fn, x, y, n_replicas):
    names = [name for name, _ in model.named_parameters()]
    total = OrderedDict((name, 0) for name in names)
    for xc, yc in zip(split_batch(x, n_replicas), split_batch(y, n_replicas)):
        replica = copy.deepcopy(model)
        # scale the chunk's loss instead of its gradient
        loss = loss_fn(replica(xc), yc) * (xc.shape[0] / x.shape[0])
        grads = torch.autograd.grad(loss, list(replica.parameters()))
        for name, g in zip(names, grads):
            total[name] = total[name] + g
    return total
