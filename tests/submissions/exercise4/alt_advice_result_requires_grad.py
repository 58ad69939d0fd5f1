# expect: passed
# mistake_create_graph.py with the diagnosis of result_requires_grad applied literally (create_graph dropped)
import torch


def gradient(f, x):
    leaf = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(leaf), leaf)
    return g


def accumulated_grad(f, x, times):
    leaf = x.detach().requires_grad_(True)
    y = f(leaf)
    for _ in range(times):
        y.backward(retain_graph=True)
    return leaf.grad
