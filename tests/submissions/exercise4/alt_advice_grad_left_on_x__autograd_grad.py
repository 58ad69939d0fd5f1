# expect: passed
# mistake_backward_on_x.py with the diagnosis of grad_left_on_x applied literally (torch.autograd.grad)
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_()
    (g,) = torch.autograd.grad(f(leaf), leaf)
    return g.detach().clone()


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
