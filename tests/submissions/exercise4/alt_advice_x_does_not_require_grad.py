# expect: passed
# mistake_assumes_requires_grad.py with the diagnosis of x_does_not_require_grad applied literally
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_()
    y = f(leaf)
    (g,) = torch.autograd.grad(y, leaf)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
