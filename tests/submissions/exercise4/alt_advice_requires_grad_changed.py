# expect: passed
# mistake_sets_requires_grad.py with the diagnosis of requires_grad_changed applied literally
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(leaf), leaf)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_()
    y = f(leaf)
    total = 0
    for _ in range(times):
        total = total + torch.autograd.grad(y, leaf, retain_graph=True)[0]
    return total
