"""练习 16 · 五个经典错误。

这个练习与其他练习不同：这里没有任何 `NotImplementedError`。下面每个函数都是真实项目中常见
的那种能运行的代码，而每个函数都有一个经典错误。有的错误会报错（读一读它：torch 的报错信息
说明了很多）；有的则毫无怨言地运行，却给出错误的答案、一个学不会的模型，或者越来越满的内存。
修正每个函数，使它的文档字符串成立，改动尽可能少。在你改动之前，`grade exercise16` 会把
这个文件算作尚未开始。

这些错误涉及的几个事实：

* `F.cross_entropy` 和 `nn.CrossEntropyLoss` 接收原始分数（logits）：它们自己会一步完成
  数值稳定的 `log_softmax`。类别索引目标必须是 int64（`torch.long`），形状为 (N,)。
* NumPy 默认的浮点类型是 float64；模型的参数是 float32。用 `torch.from_numpy` 由 NumPy 数组
  得到的张量保留数组的 dtype（并与它共享内存）。
* 只要梯度模式开启，autograd 就会记录对需要梯度的张量所做的每个运算，并保留反向传播需要的
  东西；`torch.no_grad()` 关闭记录。
* `nn.Module` 通过本身是模块或参数的属性找到它的参数；普通 Python 列表里的层它看不到。
* 有些层在训练和评估时表现不同（`Dropout`、`BatchNorm`）：`model.train()` / `model.eval()`
  切换它们，`model.training` 表示当前是哪种模式。

运行 `grade exercise16` 检查你的代码，卡住时运行 `grade hint exercise16`。
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def classify_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """原始分数 `logits` (N, C) 对类别索引 `labels` 的平均交叉熵。

    `labels` 每行一个类别索引，但可能是浮点数（2.0）或 int32，形状可能是 (N,) 或 (N, 1)，
    就像从 CSV 文件或 NumPy 数组读出的标签常见的那样。返回一个 0 维张量，对 `logits` 可微，
    等于 `F.cross_entropy(logits, 转换为 int64、形状为 (N,) 的标签)`。`logits` 是原始分数，
    不是概率。
    """
    probabilities = F.softmax(logits, dim=1)
    return F.cross_entropy(probabilities, labels)


def predict(model: nn.Module, features: np.ndarray) -> np.ndarray:
    """`features` 每一行的预测类别：形状为 (N,) 的 NumPy int64 数组。

    `features` 是 float64 的 NumPy 数组 (N, F)；`model` 是 float32 的分类器 (N, F) ->
    (N, C)，可以在任何设备上（它的参数所在的设备）。一行的预测是它最大分数的索引。在评估
    模式下、不记录计算图地预测（没有人会调用 backward，记录只会浪费内存和时间）；之后模型
    回到原来的模式，参数不变（仍是 float32）。
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    inputs = torch.from_numpy(features).to(device)
    scores = model(inputs)
    model.train(was_training)
    return scores.cpu().numpy().argmax(axis=1)


class MLP(nn.Module):
    """多层感知机：若干 Linear 层，每两层之间一个 ReLU。

    `MLP([4, 8, 8, 3])` 经过 Linear(4, 8)、ReLU、Linear(8, 8)、ReLU、Linear(8, 3) 把
    (N, 4) 映射到 (N, 3)：`sizes` 中每对相邻宽度之间一个 Linear 层，两个 Linear 层之间一个
    ReLU，最后一层之后没有（它的输出是原始分数）。所有参数都注册在属性 `layers`
    （`nn.ModuleList` 或 `nn.Sequential`）之下，这样 `parameters()` 能给出它们（优化器会
    训练它们），`.to(device)` 会移动它们，`state_dict()` 会以 "layers." 开头的键保存它们。
    """

    def __init__(self, sizes):
        """为 `sizes` 中的宽度（至少两个）构建各层。"""
        super().__init__()
        self.layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            self.layers.append(nn.Linear(n_in, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, sizes[0]) -> (N, sizes[-1])，逐层计算。"""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def swish(x: torch.Tensor) -> torch.Tensor:
    """swish（SiLU）激活函数 `x * sigmoid(x)`，逐元素计算，返回新张量。

    对 `x` 可微：`swish(x).sum().backward()` 在 `x.grad` 中得到
    `sigmoid(x) * (1 + x * (1 - sigmoid(x)))`。`x` 本身保持不变。任意形状、浮点 dtype、
    任意设备。
    """
    out = torch.sigmoid(x)
    out *= x
    return out


def evaluate(model: nn.Module, loader, loss_fn) -> float:
    """`loader` 的所有 `(inputs, targets)` 批次上每个样本的平均损失，以 float 返回。

    各批次大小可能不同（最后一批常常更小），而 `loss_fn` 返回它所在批次的平均值，所以每个
    批次按其大小计入：结果是所有样本的平均值，而不是各批次平均值的平均。在评估模式下评估
    （关闭 Dropout，使用 BatchNorm 的滑动统计量且不改变它们），并且不记录计算图；之后模型
    回到原来的模式。返回 Python float。
    """
    total = 0.0
    count = 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        total = total + loss * len(targets)
        count += len(targets)
    return total / count
