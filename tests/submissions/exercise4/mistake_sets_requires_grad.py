# expect: failed mistake=requires_grad_changed
import torch


def gradient(f, x):
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x)
    return g


def accumulated_grad(f, x, times):
    x.requires_grad_(True)
    y = f(x)
    total = 0
    for _ in range(times):
        total = total + torch.autograd.grad(y, x, retain_graph=True)[0]
    return total
