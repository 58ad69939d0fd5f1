"""练习 3 · 训练步骤。

每个 PyTorch 训练循环都对每个批次重复同样的五步：

1. 清除之前留下的梯度（优化器有一个方法专门做这件事）；
2. 前向传播：在输入上运行模型，同时记录计算图；
3. 损失：用一个数说明输出错得有多离谱；
4. 反向传播：求 d 损失 / d 参数，存进每个参数的 `.grad`；
5. 更新：优化器让每个参数沿其 `.grad` 的反方向移动。

为什么要第 1 步？`loss.backward()` 不会*替换* `p.grad`：它把新的梯度*加到*已有的值上。这是
有意的设计（可以在几个小批次上累加梯度），但在普通的循环里，这意味着如果不调用 `zero_grad()`，
第二步的更新用的是第一、二个批次的梯度之和，第三步用的是前三个批次的，依此类推：模型沿着过时的
方向迈出越来越大的步子。

    >>> w = torch.ones(1, requires_grad=True)
    >>> (2 * w).sum().backward(); w.grad
    tensor([2.])
    >>> (2 * w).sum().backward(); w.grad      # 是累加，不是替换
    tensor([4.])

为什么是这个顺序？`optimizer.step()` 读取 `p.grad`，所以必须在 `backward()` 之后；而
`backward()` 需要本步前向传播得到的损失。清除放在哪里则可以选择：很多循环（和速查表）先
backward、再 step、最后在末尾 zero_grad；在一个从干净梯度开始的循环里，这完全等价，因为每次
backward 时 `.grad` 仍然是空的。`train_step` 先清除，只是因为它是一个函数，不能假设梯度是
干净的：调用之前 `.grad` 里留下的东西（另一个循环的最后一步、为别的用途算出的梯度）不能混进
这一步。

一个 *epoch* 是把整个数据集过一遍：每个批次一个训练步骤。Dropout 和 BatchNorm 等层在训练时的
行为不同，所以要先用 `model.train()` 把模型切换到训练模式（测试时用 `model.eval()` 切换到
评估模式）。

运行 `grade exercise3` 检查你的答案，卡住时运行 `grade hint exercise3`。
"""

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn


def train_step(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    inputs: Tensor,
    targets: Tensor,
) -> float:
    """在一个批次上完成一次完整的训练步骤，并以 Python float 返回它的损失。

    按顺序完成这五步：清除旧梯度、前向传播、损失、反向传播、更新。模型传进来时 `.grad` 中可能
    已有梯度（来自之前的步骤或别的工作）：先清除它们，让更新只使用这个批次的梯度。调用
    `train_step` k 次，参数的变化必须与 k 个正确的训练步骤完全相同。

    返回这个批次在更新之前算出的损失，类型是普通的 `float`（`loss.item()`），而不是损失张量：
    张量会让这一步的计算图节点一直存活，在一个 epoch 中累加损失张量会把每一步的节点连成一张
    不断变大的计算图。
    """
    raise NotImplementedError


def train_epoch(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    loader: Iterable[tuple[Tensor, Tensor]],
) -> float:
    """训练一个 epoch，返回这个 epoch 中每个样本的平均损失。

    先把模型切换到训练模式，然后按顺序对 `loader` 的每个 `(inputs, targets)` 批次运行
    `train_step`。`loader` 可以是任何由批次组成的可迭代对象：`DataLoader`，或者由
    `(inputs, targets)` 对组成的普通列表（所以它可能没有 `.dataset` 或 `.batch_size`：每个批次的
    大小请从 `inputs.shape[0]` 取得）。

    每个批次的损失是该批次上的平均值，而最后一个批次往往比其他批次小。请返回按批次大小加权的
    批次损失平均值 `sum(loss_i * size_i) / sum(size_i)`：也就是这个 epoch 所有样本上的平均损失。
    （对批次损失直接取平均，会让最后一个小批次中的少数样本与整整一个完整批次拥有同样的权重。）
    """
    raise NotImplementedError
