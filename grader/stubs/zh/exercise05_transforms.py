"""练习 5 · 用 torchvision 预处理图像。

图像以任意大小的 PIL 图像到来；模型需要的是形状固定、数值在 0 附近一个小范围内的浮点张量。
`torchvision.transforms`（按惯例导入为 `T`）把这些步骤串起来：

    T.Resize(224)          *短边*变为 224，保持宽高比：
                           300 x 200（宽 x 高）的图像变成 336 x 224
    T.Resize((224, 224))   两条边都变为 224：图像会被压扁或拉长
    T.CenterCrop(224)      取中间的 224 x 224 个像素
    T.ToTensor()           PIL uint8 (H, W, C)，取值 0..255  ->  float32 (C, H, W)，取值 [0, 1]
    T.Normalize(m, s)      每个通道做 (x - m) / s：m = s = 0.5 时，[0, 1] -> [-1, 1]
    T.Pad(p, fill)         在每一边加上 p 个颜色为 `fill` 的像素（p 是四元组时分别为
                           (左, 上, 右, 下)）
    T.ToPILImage()         float (C, H, W)，取值 [0, 1] -> PIL 图像；它*不会*撤销 Normalize
    T.Compose([...])       按顺序执行这些步骤

顺序很重要：缩放和裁剪作用于 PIL 图像，Normalize 只作用于浮点张量。

    >>> img = Image.new("RGB", (300, 200), (255, 0, 128))    # PIL 的尺寸是 (宽, 高)
    >>> x = eval_transform(224)(img)
    >>> x.shape, x.min().item(), x.max().item()
    (torch.Size([3, 224, 224]), -1.0, 1.0)

训练时使用*随机*变换（数据增强）：每个 epoch 看到的是每张图像稍有不同的裁剪，有时还是镜像的。
它们从 torch 的随机数生成器取随机数，所以 `torch.manual_seed(0)` 能让一次运行可复现。

新代码推荐使用 `torchvision.transforms.v2`：类名相同，而且能随图像一起变换边界框和掩码。在 v2
中 `v2.ToTensor` 已被弃用；请写成 `v2.ToImage()` 再接 `v2.ToDtype(torch.float32, scale=True)`。
本练习使用经典的 `T`：每个教程都在用它，v2 也沿用了它的用法。（旧教程和速查表里还能看到的
`T.Scale` 早已被移除：它就是 `T.Resize`。）

运行 `grade exercise5` 检查你的答案，卡住时运行 `grade hint exercise5`。
"""

from collections.abc import Callable

import torch  # noqa: F401 - 你可能会用到
import torchvision.transforms as T  # noqa: F401, N812 - 惯用的名字
from PIL import Image
from torch import Tensor

MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]


def eval_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """返回一个可调用对象，把 PIL RGB 图像变成 (3, size, size) 的评估输入。

    步骤：缩放，使短边为 `size` 并保持宽高比；裁剪出中间的 `size` x `size`；转换为取值在 [0, 1]
    的 float32 张量；对每个通道用均值 0.5、标准差 0.5 做归一化，得到 [-1, 1] 范围内的值。

    对任何大小的图像（宽的、高的、只有 1 像素细的、比 `size` 还小的），结果与 torchvision 自带的
    这四步变换的结果相差都不能超过 1e-6。（缩放 PIL 图像与缩放张量的舍入方式不同：请在转换之前
    缩放。）
    """
    raise NotImplementedError


def train_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """返回一个随机的训练变换：PIL RGB 图像 -> (3, size, size) float32 张量。

    步骤：随机缩放裁剪到 `size` x `size`（T.RandomResizedCrop），以 1/2 的概率随机水平翻转，转换为
    取值在 [0, 1] 的张量，再做与 `eval_transform` 相同的归一化，得到 [-1, 1] 范围内的值。

    每次调用都重新抽取裁剪区域和是否翻转；构建变换时不决定任何随机的东西。只从 torch 的生成器取
    随机数（torchvision 的随机变换正是如此），这样在构建并调用变换之前执行 `torch.manual_seed(s)`
    就能完全复现它的输出。永远不要垂直翻转：天空要留在上面。
    """
    raise NotImplementedError


def pad_to_square(img: Image.Image, fill: int = 0) -> Image.Image:
    """返回一张新的正方形图像：`img` 居中，较短的一边用 `fill` 填充。

    对宽为 w、高为 h 的图像，结果是 side x side，其中 side = max(w, h)。填充量平均分到短边的两端；
    为奇数时，多出的一个像素放在右边（或下边）。填充部分的每个通道都是 `fill`，模式保持不变（RGB），
    `img` 本身不被改变。正方形图像原样返回（副本或它本身都可以）。

    注意：PIL 的 `img.size` 是 (宽, 高)，而由它得到的张量或数组是 (H, W, C)。
    """
    raise NotImplementedError


def to_image(t: Tensor) -> Image.Image:
    """把 `eval_transform` 生成的归一化 (3, H, W) 张量变回 RGB 图像。

    撤销 Normalize（x * std + mean），把 [0, 1] 缩放到 0..255，再构建宽为 W、高为 H 的 RGB PIL
    图像。`t` 可以在任何设备上。每个像素与精确值 (x * 0.5 + 0.5) * 255 的差不能超过一个灰度级，
    因此对 `s` x `s` 的 RGB 图像 `img`，`to_image(eval_transform(s)(img))` 能在一个灰度级之内
    还原出 `img`。

    PIL 需要 CPU 上的 (H, W, 3) uint8 数组；而张量是 (3, H, W)。
    """
    raise NotImplementedError
