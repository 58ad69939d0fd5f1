# expect: failed mistake=off_by_one
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for i in range(1, times):
        y.backward(retain_graph=True)
    return leaf.grad
