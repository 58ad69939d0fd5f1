# expect: failed mistake=existing_grad_lost
import torch


def gradient(f, x):
    was = x.requires_grad
    x.grad = None
    x.requires_grad_(True)
    f(x).backward()
    g = x.grad
    x.grad = None
    x.requires_grad_(was)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
