# expect: failed mistake=rebuilds_graph
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    for _ in range(times):
        f(leaf).backward()
    return leaf.grad
