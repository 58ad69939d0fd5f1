# expect: passed
import torch


def _run(f, x, times):
    # Works on x itself, but saves and restores everything the caller can see.
    saved_flag, saved_grad = x.requires_grad, x.grad
    x.grad = None
    x.requires_grad_(True)
    try:
        y = f(x)
        for _ in range(times):
            y.backward(retain_graph=True)
        result = x.grad
    finally:
        x.grad = saved_grad
        x.requires_grad_(saved_flag)
    return result


def gradient(f, x):
    return _run(f, x, 1)


def accumulated_grad(f, x, times):
    return _run(f, x, times)
