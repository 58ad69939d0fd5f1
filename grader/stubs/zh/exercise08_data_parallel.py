"""练习 8 · 亲手实现数据并行：每个副本各算一个损失。

数据并行让一个模型同时在多个设备上训练。对每个批次，它

1. *分发*（scatter）批次：沿第 0 维把它切成每个设备一块；
2. *复制*（replicate）模型：每个设备一份，参数值相同；
3. 每一块在自己的副本上做前向传播（之后是反向传播），并行进行；
4. 把各副本的梯度合成一个梯度，然后执行一次优化器的更新。

一个 5 行的批次分给 2 个副本：

    >>> x = torch.arange(10.).view(5, 2)
    >>> [tuple(c.shape) for c in split_batch(x, 2)]
    [(3, 2), (2, 2)]

第 4 步怎么做，取决于损失在哪里计算。`nn.DataParallel` 把各副本的输出*收集*（gather）回
`output_device`（默认是 `device_ids[0]`）上的一个批次，由你在整个批次上计算*一个*损失；反向
传播经过复制这一步时，只是把各副本的梯度*相加*，而这个和已经就是整个批次的梯度，即使各块大小
不同也是如此。在 `DistributedDataParallel`（DDP，每个设备一个进程，PyTorch 推荐的工具）中，
每个进程计算*自己的*损失，即它自己那一块上的平均值，然后对梯度求平均。本练习亲手实现的是后一种。
`nn.MSELoss()` 这样的损失会对它的批次*取平均*，所以副本 i 给出的是它那一块（大小为 b_i）上
平均损失的梯度，而整个批次（大小为 B）上平均损失的梯度是加权和

    grad = sum_i (b_i / B) * grad_i

只有各块大小都相同时，对 grad_i 直接取平均才是对的（这也是 DDP 的采样器让每个进程拿到同样多
样本的原因）。

这里的一切都在一个设备上、用普通的 Python 完成。（`nn.parallel.data_parallel(module, inputs,
device_ids, output_device)` 是 `nn.DataParallel` 的函数形式：一次调用，不需要包装模块。）

运行 `grade exercise8` 检查你的答案，卡住时运行 `grade hint exercise8`。
"""

import copy  # noqa: F401  （copy.deepcopy 为模块创建一个独立的副本）
from collections.abc import Callable

import torch  # noqa: F401
from torch import Tensor, nn


def split_batch(x: Tensor, n: int) -> list[Tensor]:
    """沿第 0 维把 `x` 切成每个设备一块，尽可能均匀。

    `x` 至少有一行，且 `n >= 1`。返回由 `min(n, len(x))` 个张量组成的列表（元组也可以），它们的
    大小最多相差一，大块在前，各行保持原来的顺序：把这些块拼接起来就得到 `x`。10 行分给 4 个设备是
    3、3、2、2 行的块；2 行分给 4 个设备是 2 个 1 行的块（没有空块）。

    注意：对 10 行做 `torch.chunk(x, 4)` 得到 3、3、3、1，对 6 行做 `torch.chunk(x, 4)` 只得到
    3 个 2 行的块。（nn.DataParallel 本身用的是 `chunk`；这里让每个设备都分到公平的一份。）每一块
    都保持 `x` 的设备和 dtype。
    """
    raise NotImplementedError


def data_parallel_grads(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    y: Tensor,
    n_replicas: int,
) -> dict[str, Tensor]:
    """以数据并行的方式、每个副本各算一个损失，求出 `loss_fn(model(x), y)` 的梯度。

    用 `split_batch(..., n_replicas)` 切分 `x` 和 `y`，每一块创建一个 `model` 的副本
    （`copy.deepcopy`），每一块在自己的副本上做前向和反向传播，再把各副本的梯度合成整个批次上
    损失的梯度。每个副本在自己那一块上计算自己的损失，就像 DDP 的每个进程那样，而 `loss_fn` 会对
    它的批次取平均（像 `nn.MSELoss()` 或 `nn.CrossEntropyLoss()`）：请按每个副本在批次中所占的
    份额给它的梯度加权。

    对 `model.named_parameters()` 中的每个名字返回 `{name: gradient}`，每个梯度都是与该参数形状
    相同的张量。`model` 本身必须完全保持原样：它的参数值和 `.grad`（其中可能已经有值）都不变。
    """
    raise NotImplementedError
