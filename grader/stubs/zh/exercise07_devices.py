"""练习 7 · 把模型和数据放到设备上。

模型和它计算所用的数据必须在同一个设备上（CPU 或某块 GPU）。两个同名的方法行为却不同：

    >>> model = nn.Linear(3, 1)
    >>> model.to(device)          # 模块是*原地*移动的（并返回它自己）
    >>> x = torch.rand(4, 3)
    >>> x.to(device)              # 张量*不会*移动：这里返回的是 device 上的一个张量……
    >>> x = x.to(device)          # ……你必须把它保存下来

（当 `x` 已经在 `device` 上、dtype 也相同时，`x.to(device)` 返回的就是 `x` 本身，而不是副本。）
不管有些速查表怎么写，并不存在 `model.gpu()`：应写成 `model.to(device)` 或 `model.cuda()`。

`x.cuda()` 就是写死了的 `x.to("cuda")`：它移动到*当前* CUDA 设备（除非用
`torch.cuda.set_device` 选了别的，否则是 GPU 0），在没有 GPU 的机器上会失败。请把设备作为参数
传入，这样同一份代码可以在 CPU、GPU 或其他任何设备上运行（PyTorch 甚至有一个只保存形状、不保存
数据的 "meta" 设备）。

批次很少只是一个张量：DataLoader 产生的是元组 `(inputs, targets)`、字典
`{"input_ids": ..., "mask": ...}` 或 namedtuple。`to_device` 移动这种结构中的每个张量，并返回
*同一种*结构：

    >>> Batch = namedtuple("Batch", ["x", "y"])
    >>> to_device({"a": [x, 3], "b": Batch(x, "id-7")}, device)
    {'a': [<x on device>, 3], 'b': Batch(x=<x on device>, y='id-7')}

运行 `grade exercise7` 检查你的答案，卡住时运行 `grade hint exercise7`。
"""

from typing import Any

import torch
from torch import nn


def pick_device() -> torch.device:
    """有 CUDA 时返回 `torch.device("cuda")`，否则返回 `torch.device("cpu")`。

    返回 `torch.device`，而不是字符串。
    """
    raise NotImplementedError


def to_device(obj: Any, device: torch.device | str) -> Any:
    """把 `obj` 中的每个张量都移到 `device`（torch.device 或字符串）后返回。

    - 张量：用 `.to(device)` 移动（对任何设备都有效，不像 `.cuda()`）；
    - dict、list、tuple 或 namedtuple：返回*同一类型*的新容器（tuple 仍是 tuple，namedtuple 仍是
      那个 namedtuple，dict 的键保持不变），对每个元素递归应用 `to_device`，层数不限；
    - 其他任何东西（数字、字符串、None、其他对象）：原样返回。

    不修改输入：`obj` 中的任何列表、字典或张量都不被原地改变。
    """
    raise NotImplementedError


def prepare(model: nn.Module, batch: Any, device: torch.device | str) -> tuple[nn.Module, Any]:
    """返回元组 `(model, batch)`，两者都已准备好在 `device` 上计算。

    模型的所有参数和缓冲区都移到 `device`，批次则用 `to_device` 移动。
    """
    raise NotImplementedError
