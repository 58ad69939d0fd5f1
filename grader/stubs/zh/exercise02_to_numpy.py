"""练习 2 · 张量与 NumPy。

PyTorch 张量和 NumPy 数组可以共享同一块内存，但必须同时满足三个条件：

1. 张量在 CPU 上。NumPy 对 GPU 内存一无所知：CUDA 张量必须先用 `.cpu()`（或 `.to("cpu")`）
   *复制*到主机内存。
2. 张量不在 autograd 计算图中。在梯度模式开启时（默认如此），`t.numpy()` 会拒绝需要梯度的
   张量（模型的权重，或由它们算出的任何东西），因为数组可能会绕过 autograd 被修改。
   `t.detach()` 返回一个与 `t` 共享数据、但与计算图断开的张量；`t` 本身仍然需要梯度。
3. 你接受共享内存。在 CPU 上，`t.detach().numpy()` 是张量内存的*视图*：写入数组会改变张量。
   两者必须互不影响时，请复制（`.copy()`、`np.array(...)`、`.clone()`）。

条件 1 和条件 2 是两个独立的步骤。它们的先后顺序不影响结果；先 detach 可以避免把设备间的复制
记录进计算图。（还有 `t.numpy(force=True)`：它替你完成这两步。）

    >>> w = torch.ones(2, 3, requires_grad=True)
    >>> w.numpy()
    RuntimeError: Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() ...
    >>> to_numpy(w).shape, to_numpy(w).dtype
    ((2, 3), dtype('float32'))
    >>> w.requires_grad                      # w 本身没有被改动
    True

反过来，`torch.from_numpy(a)` 保留数组的 dtype（float64 仍是 float64，int32 仍是 int32），
而 `torch.Tensor(a)` 得到默认 dtype（除非 `torch.set_default_dtype` 改过，否则是 float32），
`torch.FloatTensor(a)` 则总是 float32。

运行 `grade exercise2` 检查你的答案，卡住时运行 `grade hint exercise2`。
"""

import numpy as np
import torch
from torch import Tensor


def to_numpy(t: Tensor) -> np.ndarray:
    """把 `t` 的值作为 NumPy 数组返回：数值相同、形状相同、dtype 对应。

    `t` 可以是任何张量：需要梯度的叶子张量（例如权重）、由它算出的非叶子张量（例如模型的输出），
    或者 GPU 上的张量。不要改变 `t`：之后它必须仍然需要梯度（如果原来需要）并留在原来的设备上，
    所以不要调用 `t.requires_grad_(False)` 或 `t.detach_()`，它们会改变 `t` 本身。当 `t` 在
    CPU 上时，数组可以与 `t` 共享内存。
    """
    raise NotImplementedError


def to_numpy_copy(t: Tensor) -> np.ndarray:
    """与 `to_numpy` 相同，但数组从不与 `t` 共享内存。

    在任何设备上，写入返回的数组都不能改变 `t`。
    """
    raise NotImplementedError


def from_numpy(a: np.ndarray, device: str | torch.device = "cpu") -> Tensor:
    """把 `a` 作为 `device` 上的张量返回：数值相同、形状相同、dtype 相同。

    `device` 是 "cpu"、"cuda" 这样的字符串，或一个 `torch.device`。保留 `a` 的 dtype：
    float64 数组得到 float64 张量，int32 数组得到 int32 张量。
    """
    raise NotImplementedError
