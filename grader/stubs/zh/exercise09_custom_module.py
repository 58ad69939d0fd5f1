"""练习 9 · 编写 nn.Module。

一个层就是继承自 `nn.Module` 的类。它的 `__init__` 先调用 `super().__init__()`（它建立模块的
内部登记表；旧代码中的 `super(MyLayer, self).__init__()` 是同一个调用，只是 Python 2 的写法），
然后把可学习的张量创建为 `nn.Parameter` 并赋给属性。把 `nn.Parameter` 赋给属性就会*注册*它：
从此以后

* `model.parameters()` / `named_parameters()` 会列出它，因此优化器会更新它；
* `model.state_dict()` 会以属性名保存它；
* `model.to(device)`、`model.double()`、`model.cuda()` 会移动并转换它。

赋给属性的普通张量则什么都得不到。`forward(x)` 说明这个层计算什么；使用时调用模块本身，
即 `model(x)`，它会运行 `forward`（以及所有钩子）。

    >>> layer = Affine(3, 2)
    >>> [(name, tuple(p.shape)) for name, p in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]
    >>> layer(torch.ones(5, 3)).shape
    torch.Size([5, 2])

嵌套的模块用带点的路径给参数命名：在 `nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))`
中，参数名是 `0.weight`、`0.bias`、`2.weight`、`2.bias`。`requires_grad = False` 的参数是
*冻结*的：反向传播不为它计算梯度，所以优化器不会动它（微调时会冻结预训练的主体部分）。

运行 `grade exercise9` 检查你的答案，卡住时运行 `grade hint exercise9`。
"""

import math  # noqa: F401

import torch  # noqa: F401
from torch import Tensor, nn


class Affine(nn.Module):
    """全连接层，y = x @ weight.T + bias，与 nn.Linear 的计算相同。

    `weight` 的形状是 (out_features, in_features)，`bias` 的形状是 (out_features,)；两者都是
    `nn.Parameter`，并且恰好以这两个名字注册（所以 `state_dict()` 的键是 'weight' 和 'bias'）。
    两者的初始值都从 (-1/sqrt(in_features), 1/sqrt(in_features)) 中均匀抽取（`torch.rand` 给出
    [0, 1)；`tensor.uniform_` 原地填充）。`bias=False` 时没有 bias 参数，`self.bias` 为 None
    （`self.register_parameter("bias", None)` 或 `self.bias = None`）。
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """创建并注册 weight (out_features, in_features) 和 bias (out_features,)。"""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """x 的形状为 (..., in_features)，前面可以有任意多个维度 -> (..., out_features)。"""
        raise NotImplementedError


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """`model` 中标量参数的个数（Python int）。

    形状为 (3, 4) 的权重算 12 个，而不是 1 个。要统计每个子模块的每个参数（即 `model.parameters()`
    给出的全部），但不包括 BatchNorm 的 running mean 这类缓冲区。`trainable_only=True`（默认）时
    只统计需要梯度的参数。
    """
    raise NotImplementedError


def freeze(model: nn.Module, prefix: str) -> list[str]:
    """冻结名字（来自 `named_parameters()`）以 `prefix` 开头的每个参数。

    对这些参数设置 `requires_grad = False`，其他参数保持原样（之前已冻结的仍然冻结）。按
    `named_parameters()` 的顺序返回它们的名字。前缀就是普通的字符串前缀："enc" 匹配
    "encoder.weight" 和 "enc.bias"，而 "0" 匹配 "0.weight"，但绝不匹配 "1.0.weight"。
    """
    raise NotImplementedError
