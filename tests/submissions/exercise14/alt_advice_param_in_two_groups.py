# expect: passed
# mistake_param_in_two_groups.py with the diagnosis of param_in_two_groups applied literally
import torch


def finetune_optimizer(net):
    optimizer = torch.optim.SGD(net.features.parameters(), lr=1e-5)
    optimizer.add_param_group({"params": net.classifier.parameters(), "lr": 1e-2})
    return optimizer


def sgd_step(params, lr):
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None


def scale_learning_rates(optimizer, factor):
    for group in optimizer.param_groups:
        group["lr"] *= factor
