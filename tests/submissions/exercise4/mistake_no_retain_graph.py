# expect: failed mistake=no_retain_graph
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward()
    return leaf.grad
