"""练习 10 · 卷积、池化、归一化与 Dropout。

卷积让卷积核在图像上滑动。沿着长为 `size` 像素的一条边，两端*各*补 `padding` 个零；一个由
`kernel` 个元素组成、相邻元素相隔 `dilation` 个像素的卷积核覆盖 `dilation * (kernel - 1) + 1`
个像素，每次移动 `stride` 个像素。输出的边长就是能完整放下多少个位置；最后一个不完整的位置被
丢弃：

    >>> nn.Conv2d(3, 8, kernel_size=3)(torch.rand(1, 3, 32, 32)).shape        # 32 - 3 + 1
    torch.Size([1, 8, 30, 30])
    >>> nn.Conv2d(3, 8, 3, stride=2, padding=1)(torch.rand(1, 3, 32, 32)).shape  # 16 个位置
    torch.Size([1, 8, 16, 16])

转置卷积（`nn.ConvTranspose2d`）方向相反，它让图像变大；由于几种不同的输入大小会得到同样的
Conv2d 输出大小，`output_padding` 通过在结果的一侧多加这么多像素，来选定要回到其中哪一个。

一个小型分类器由若干 Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d 块堆叠而成，然后是
AdaptiveAvgPool2d：无论 H 和 W 是多少，它都把每个通道平均到固定的大小，这样最后的 Linear 层
看到的特征个数总是相同。有两种层在模型的两种模式下行为不同：

* 训练模式（`model.train()`）：Dropout 随机把一些激活值置零（并放大其余的）；BatchNorm 用当前
  批次的统计量做归一化，并更新它的滑动平均值；
* 评估模式（`model.eval()`）：Dropout 什么也不做；BatchNorm 使用它的滑动平均值，因此一张图像的
  输出不再依赖批次中的其他图像。

在训练模式下，BatchNorm 需要每个通道有不止一个值才能计算方差：只有一张 4 x 4 像素图像的批次没有
问题（每个通道 16 个值），而全局池化之后只有一个样本的批次 (1, C, 1, 1)，或送入 BatchNorm1d 的
(1, C) 输入，会报错 "Expected more than 1 value per channel when training"。在评估模式下任何
批次都可以。

运行 `grade exercise10` 检查你的答案，卡住时运行 `grade hint exercise10`。
"""

import torch  # noqa: F401  （predict 需要 torch.no_grad 等）
from torch import Tensor, nn


def conv2d_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """对一条长为 `size` 像素的输入边，返回 `nn.Conv2d` 输出的对应边长。

    所有参数都是 int（即一个具有这些设置的 `nn.Conv2d` 的一条边）。对每种有效的组合（膨胀后的
    卷积核能放进补零后的输入），返回一个 `int`，等于 PyTorch 计算出的输出边长。请用整数运算：`//`
    向下取整，`/` 得到的是 float。
    """
    raise NotImplementedError


def conv_transpose2d_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """对一条长为 `size` 的输入边，返回 `nn.ConvTranspose2d` 输出的对应边长。

    所有参数都是 int，并且 `output_padding` 小于 `stride` 或小于 `dilation`（否则 PyTorch 会拒绝）。
    返回一个 `int`，等于 PyTorch 计算出的输出边长。
    """
    raise NotImplementedError


class SmallCNN(nn.Module):
    """一个小型图像分类器：(B, in_channels, H, W) -> (B, num_classes) 的原始分数（logits）。

    评分器检查的要求：

    * 它包含在 `__init__` 中创建的层（作为属性或放在 `nn.Sequential` 里，这样 `print(model)` 能
      列出它们），以下每种至少一个：`nn.Conv2d`、`nn.BatchNorm2d`、`nn.ReLU`、`nn.MaxPool2d`、
      `nn.AdaptiveAvgPool2d`、`nn.Dropout` 和 `nn.Linear`。在 `forward` 中创建的层，以及
      `F.relu` / `F.dropout` 调用，都不算（而且在 `forward` 中新建的 `nn.Dropout` 永远处于训练
      模式）。
    * 在评估模式下对每个 B >= 1（训练模式下 B >= 2），以及每个 H, W >= 8（正方形或不是），
      `forward` 都返回形状为 (B, num_classes) 的浮点张量。
    * 在评估模式下输出是确定的，一张图像的输出不依赖批次中的其他图像；在训练模式下 dropout 让两次
      调用的结果不同。
    * 当 `in_channels` <= 3 且 `num_classes` <= 10 时，参数最多 100_000 个。
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10) -> None:
        """创建各层（输入 `in_channels` 个通道，输出 `num_classes` 个分数）。"""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """把 (B, in_channels, H, W) 映射为 (B, num_classes)。"""
        raise NotImplementedError


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """返回在评估模式下、不建立 autograd 计算图时计算的 `model(x)`。

    * 输出是评估模式下的输出（dropout 关闭，batch norm 使用滑动统计量），无论模型原来处于哪种模式。
    * 前向传播在关闭梯度跟踪的情况下运行（`torch.no_grad()` 或 `torch.inference_mode()`），所以
      结果不需要梯度，也没有 `grad_fn`。（事后再调用 `.detach()` 是不够的：计算图已经建立过了。）
    * 之后模型回到原来的模式：原来处于训练模式的模型回到训练模式（每个子模块也一样），原来处于
      评估模式的模型保持评估模式。
    """
    raise NotImplementedError
