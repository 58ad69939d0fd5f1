"""练习 11 · 构建 nn.Sequential 的三种方式。

`nn.Sequential` 依次运行它的各层。每一层都有一个*名字*，这些名字会成为模型 `state_dict`
（你保存和加载的参数与缓冲区）的键：

    >>> seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> list(seq.state_dict())
    ['0.weight', '0.bias']

逐个传入（或从列表解包传入）的层按位置命名：'0'、'1'、'2'。要自己起名字，可以传入一个
名字 -> 层 的 `OrderedDict`，或者从空的 `nn.Sequential()` 开始，对每一层调用
`seq.add_module(name, layer)`。普通的 Python 列表或 `nn.ModuleList` 也能装层，但两者都不能
直接作用于输入；而且赋给模块属性的普通列表什么也不会注册（其中各层的参数不会出现在
`parameters()`、`state_dict()` 和 `.to()` 中），`nn.ModuleList` 则会注册它们。

Batch normalization 有*参数*（weight、bias：由优化器学习）和*缓冲区*（running_mean、
running_var、num_batches_tracked：在训练模式下由前向传播更新；评估模式使用滑动均值和方差，而
num_batches_tracked 只统计训练过的批次数，供 momentum 为 None 时使用）。两者都在 `state_dict`
中；`parameters()` 只列出第一种，`buffers()` 列出第二种。

运行 `grade exercise11` 检查你的答案，卡住时运行 `grade hint exercise11`。
"""

from collections import OrderedDict  # noqa: F401  （with_ordered_dict 会用到）

import torch  # noqa: F401  （copy_weights 会用到 torch.no_grad）
from torch import nn


def with_add_module() -> nn.Sequential:
    """返回由 Conv2d(3, 3, 3)、BatchNorm2d(3)、ReLU() 组成、用 add_module 构建的 `nn.Sequential`。

    各层依次命名为 `conv`、`batchnorm` 和 `activation_layer`，其他设置保持默认（Conv2d 的 stride
    为 1，不补零，带 bias）。
    """
    raise NotImplementedError


def with_positional() -> nn.Sequential:
    """返回由 Conv2d(3, 3, 3)、BatchNorm2d(3)、ReLU() 组成、层名为 '0'、'1'、'2' 的 Sequential。"""
    raise NotImplementedError


def with_ordered_dict() -> nn.Sequential:
    """返回由 Conv2d(3, 3, 3)、BatchNorm2d(3)、ReLU() 组成、用 OrderedDict 构建的 `nn.Sequential`。

    各层依次命名为 `conv1`、`bn1` 和 `relu1`。
    """
    raise NotImplementedError


def copy_weights(src: nn.Sequential, dst: nn.Sequential) -> None:
    """把 `src` 的每个参数和缓冲区复制到 `dst` 中，按位置一一对应。

    `src` 和 `dst` 的层相同、顺序相同，但名字不同（一个叫 `conv.weight` 的，在另一个里可能叫
    `conv1.weight`）。复制之后，`dst` 在训练模式下（参数）和评估模式下（缓冲区：也包括 batch norm
    的滑动统计量）都与 `src` 计算同样的函数。请复制数值：`dst` 保留它自己的张量（之后改变 `src`
    不能影响 `dst`），`src` 保持不变。返回 None。
    """
    raise NotImplementedError
