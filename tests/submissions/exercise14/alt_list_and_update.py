# expect: passed
import torch


def finetune_optimizer(net):
    groups = [
        dict(params=[p for p in net.features.parameters()]),
        dict(params=[p for p in net.classifier.parameters()], lr=1e-2),
    ]
    return torch.optim.SGD(groups, 1e-5)


@torch.no_grad()
def sgd_step(params, lr):
    with_grad = [p for p in params if p.grad is not None]
    for p in with_grad:
        p.copy_(p - lr * p.grad)
    for p in with_grad:
        p.grad = None


def scale_learning_rates(optimizer, factor):
    for group in optimizer.param_groups:
        group.update(lr=group["lr"] * factor)
