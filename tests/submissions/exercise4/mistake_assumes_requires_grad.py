# expect: failed mistake=x_does_not_require_grad
import torch


def gradient(f, x):
    (g,) = torch.autograd.grad(f(x), x)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
