# expect: failed mistake=grad_left_on_x
import torch


def gradient(f, x):
    x.requires_grad_(True)
    f(x).backward()
    return x.grad.detach().clone()


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
