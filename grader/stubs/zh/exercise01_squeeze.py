"""练习 1 · 形状：squeeze 与 unsqueeze。

模型接收的是*批次*：第一个维度用来数样本个数的张量。形状为 (C, H, W) 的单张图像在送入模型之前，
必须先变成只含一个样本的批次 (1, C, H, W)；模型对这个批次给出的结果，之后还要再去掉批次维度。

在 PyTorch 中第 0 维是批次：图像的形状是 (B, C, H, W)，通道排在第二位。（有些速查表把第 0 维
称为"通道"；这只对去掉了批次维度的单张图像成立。）

    >>> image = torch.rand(3, 32, 32)
    >>> add_batch_dim(image).shape
    torch.Size([1, 3, 32, 32])
    >>> remove_batch_dim(torch.rand(1, 10)).shape
    torch.Size([10])

运行 `grade exercise1` 检查你的答案，卡住时运行 `grade hint exercise1`。
"""

from torch import Tensor


def add_batch_dim(image: Tensor) -> Tensor:
    """把 `image` (C, H, W) 变成只含一个样本的批次返回，形状为 (1, C, H, W)。

    结果必须是 `image` 的*视图*：同一块内存换一种形状来看，而不是副本（向结果写入会改变
    `image`）。`unsqueeze` 会在你给出的位置插入一个大小为 1 的维度。
    """
    raise NotImplementedError


def remove_batch_dim(batch: Tensor) -> Tensor:
    """返回去掉第一个维度后的 `batch` (1, ...)：(1, C, H, W) -> (C, H, W)。

    只去掉第 0 维。其他大小为 1 的维度保留：灰度图像 (1, 1, H, W) 变成 (1, H, W)，而不是 (H, W)。

    如果第 0 维的大小不是 1，就没有"单个样本"可以返回：请抛出 `ValueError`，错误信息要写出你
    收到的形状，例如 "expected a batch of one, got shape (2, 3, 4)"。（注意：这时
    `batch.squeeze(0)` 会悄悄地把批次原样返回。）
    """
    raise NotImplementedError
