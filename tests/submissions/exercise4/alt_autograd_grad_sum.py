# expect: passed
import torch


def gradient(f, x):
    x2 = x.detach().clone()
    x2.requires_grad = True
    return torch.autograd.grad(f(x2), [x2])[0]


def accumulated_grad(f, x, times):
    x2 = x.detach().clone().requires_grad_()
    y = f(x2)
    total = torch.zeros_like(x2)
    for _ in range(times):
        (g,) = torch.autograd.grad(y, x2, retain_graph=True)
        total = total + g
    return total
