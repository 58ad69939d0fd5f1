# expect: failed mistake=not_accumulated
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        leaf.grad = None  # a clean gradient for every pass, as in a training loop
        y.backward(retain_graph=True)
    return leaf.grad
