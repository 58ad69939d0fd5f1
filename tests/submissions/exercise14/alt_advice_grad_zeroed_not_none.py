# expect: passed
# mistake_grad_zeroed.py with the diagnosis of grad_zeroed_not_none applied literally
import torch


def finetune_optimizer(net):
    return torch.optim.SGD(
        [
            {"params": net.features.parameters()},
            {"params": net.classifier.parameters(), "lr": 1e-2},
        ],
        lr=1e-5,
    )


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None


def scale_learning_rates(optimizer, factor):
    for group in optimizer.param_groups:
        group["lr"] *= factor
