# expect: passed
# mistake_cleans_up_grad.py with the diagnosis of existing_grad_lost applied literally
import torch


def gradient(f, x):
    leaf = x.detach()
    was = leaf.requires_grad
    leaf.requires_grad_(True)
    f(leaf).backward()
    g = leaf.grad
    leaf.requires_grad_(was)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
