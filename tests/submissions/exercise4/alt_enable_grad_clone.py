# expect: passed
import torch


def gradient(f, x):
    with torch.enable_grad():
        copy = x.clone().detach()
        copy.requires_grad_()
        value = f(copy)
        value.backward(inputs=[copy])
    return copy.grad.detach()


def accumulated_grad(f, x, times):
    with torch.enable_grad():
        leaf = x.detach().requires_grad_(True)
        out = f(leaf)
        i = 0
        while i < times:
            last = i == times - 1
            torch.autograd.backward(out, retain_graph=not last)
            i += 1
    return leaf.grad.detach()
