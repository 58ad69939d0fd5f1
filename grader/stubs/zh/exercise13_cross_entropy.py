"""练习 13 · 损失函数：手写交叉熵。

分类器输出的是原始分数，即形状为 (B, C) 的 *logits*：每个样本一行，每个类别一个分数。目标是
类别编号，形状为 (B,) 的 int64。交叉熵用 softmax 把每一行变成概率，然后计 -log(正确类别的
概率)：

    p[i, k]  = exp(logits[i, k]) / sum_j exp(logits[i, j])
    loss[i]  = -log p[i, targets[i]]
             = logsumexp(logits[i]) - logits[i, targets[i]]
    loss     = loss[i] 在批次上的平均值                  （一个 0 维张量）

照第一行那样写就会出问题：在 float32 中 exp(89.0) 已经是 inf（float64 中是 exp(710.0)），而
inf / inf 是 nan。给一行的每个分数都减去同一个数，softmax 不变，所以先减去每行最大的 logit，
m[i] = max_j logits[i, j]：

    logsumexp(logits[i]) = m[i] + log(sum_j exp(logits[i, j] - m[i]))

现在每个指数都 <= 0，不会溢出；而且因为你从不对舍入成 0 的概率取对数，也不会出现 -inf。
（`torch.logsumexp` 正是这样做的，你可以使用它。）

    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1e4]])
    >>> cross_entropy(logits, torch.tensor([0, 1]))
    tensor(0.0635)

平均损失关于 logits 的梯度是 (softmax(logits) - one_hot) / B：只要损失是用 torch 运算在
`logits` 上算出来的（不用 `.item()`，结果外面不套 `torch.tensor(...)`），autograd 就会免费给你
这个梯度。

`nn.CrossEntropyLoss` 自己会做 softmax：请把 logits 直接交给它，永远不要传 `softmax(logits)`
（那样会把分数压缩两次，训练变慢）。它的目标是形状为 (B,) 的 int64 类别编号，而不是 (B, 1) 的
列，也不是浮点数（形状为 (B, C) 的浮点目标会被当作类别概率，那是另一回事）。

运行 `grade exercise13` 检查你的答案，卡住时运行 `grade hint exercise13`。
"""

import torch  # noqa: F401 - 你会用到它
from torch import Tensor


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """`logits` (B, C) 相对于类别编号 `targets` (B,) 的平均交叉熵。

    返回一个 dtype 与 logits 相同、位于同一设备上、autograd 可以求导的 0 维张量：对于大到 ±1e4 的
    float32 和 float64 logits，数值和梯度都等于 `nn.CrossEntropyLoss()(logits, targets)`（在该
    dtype 于该数量级的舍入误差之内）。

    请亲手实现：这里不允许使用 `F.cross_entropy`、`nn.CrossEntropyLoss`、`F.log_softmax`（也包括
    `torch.log_softmax` 或 `logits.log_softmax`）和 `F.nll_loss`。可以使用 `torch.logsumexp`、
    `max`、`exp`、`log`、`gather` 和索引。
    """
    raise NotImplementedError


def cross_entropy_ignore(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """与 `cross_entropy` 相同，但目标为 `ignore_index` 的位置不计入。

    损失只是其他位置上的平均值：它们的损失之和除以它们的个数（而不是除以 B）。被忽略的位置无论
    目标是什么，都不对数值或梯度产生任何贡献（-100 甚至不是有效的类别：用它做索引之前先把它屏蔽
    掉）。结果与 `nn.CrossEntropyLoss(ignore_index=ignore_index)` 一致，包括所有位置都被忽略时的
    答案：0 / 0，即 nan。
    """
    raise NotImplementedError
