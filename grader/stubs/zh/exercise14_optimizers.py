"""练习 14 · 优化器与参数组。

优化器保存着一个*参数组*列表：每个参数组是一个字典，"params" 下是一组参数，另外是这个组的设置
（"lr"、"momentum" 等）。某个组没有给出的设置取自优化器的 `defaults`，也就是它构造函数的
关键字参数：

    >>> a, b = nn.Linear(2, 2), nn.Linear(2, 1)
    >>> opt = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 0.1}],
    ...                       lr=0.001, momentum=0.9)
    >>> [(group["lr"], group["momentum"]) for group in opt.param_groups]
    [(0.001, 0.9), (0.1, 0.9)]

第一个参数名叫 `params`（通常按位置传入）：有些速查表写的 `optim.SGD(param=...)` 会引发
TypeError。

微调预训练网络时，通常给预训练的特征提取部分一个很小的学习率，给上面新加的分类器一个较大的
学习率。每次 `opt.step()` 都会重新读取每个组的 "lr"，学习率调度器正是这样在训练中改变学习率的。

普通的 SGD 对每个参数就是一行：`p = p - lr * p.grad`。照字面这样写，这一行对模型毫无作用（它只
是让名字 `p` 指向了新的张量），还会把减法记录进 autograd 计算图；优化器是在关闭梯度跟踪的情况下
*原地*更新每个参数的。

运行 `grade exercise14` 检查你的答案，卡住时运行 `grade hint exercise14`。
"""

import torch
from torch import nn


def finetune_optimizer(net: nn.Module) -> torch.optim.SGD:
    """为 `net` 返回一个带有两个参数组的 `torch.optim.SGD`。

    `net` 有两个子模块 `net.features` 和 `net.classifier`（没有其他参数）。第一组包含
    `net.features` 的所有参数，使用优化器的默认学习率 1e-5（所以
    `optimizer.defaults["lr"] == 1e-5`）；第二组包含 `net.classifier` 的所有参数，lr 为 1e-2。
    两者的每个参数都恰好出现一次。其他 SGD 设置保持默认。
    """
    raise NotImplementedError


def sgd_step(params, lr: float) -> None:
    """手写一步普通的 SGD：对每个有梯度的参数执行 `p -= lr * p.grad`。

    `params` 是任何由参数组成的可迭代对象，例如 `model.parameters()`（一个生成器：只能遍历一次）。
    对每个 `.grad` 不为 None 的参数：原地更新它，且不把这次更新记录进 autograd 计算图（参数仍是
    同一个叶子张量，仍然需要梯度），然后把 `.grad` 设为 None 来清除它的梯度。`.grad` 为 None 的
    参数（被冻结的，或没有参与损失计算的）跳过。返回 None。
    """
    raise NotImplementedError


def scale_learning_rates(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """把 `optimizer` 每个参数组的学习率都乘以 `factor`。

    下一次 `optimizer.step()` 必须使用新的学习率：在 `step()` 读取它们的地方修改。各组学习率之间的
    比例保持不变（0.1 和 0.01 乘以 0.5 后变成 0.05 和 0.005）。返回 None。
    """
    raise NotImplementedError
