# expect: passed
from torch import optim


def finetune_optimizer(net):
    optimizer = optim.SGD(net.features.parameters(), lr=0.00001)
    optimizer.add_param_group({"params": list(net.classifier.parameters()), "lr": 0.01})
    return optimizer


def sgd_step(params, lr):
    for p in params:
        if p.grad is None:
            continue
        p.data.add_(p.grad.data, alpha=-lr)
        p.grad = None


def scale_learning_rates(optimizer, factor):
    for i in range(len(optimizer.param_groups)):
        optimizer.param_groups[i]["lr"] = optimizer.param_groups[i]["lr"] * factor
