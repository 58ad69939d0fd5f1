"""练习 4 · 动态计算图与即时执行。

PyTorch *即时*（eager）地运行你的代码：每个运算立刻算出结果，并且只要它的某个输入需要梯度，
就把自己记录进计算图。所以计算图就是你的 Python 代码这一次实际做过的事情，依赖张量值的 if 和
循环可以直接使用：

    >>> def f(x):
    ...     y = x
    ...     while y.norm() < 10:      # 循环多少次取决于 x 中的值
    ...         y = y * 2
    ...     return (y * y).sum()
    >>> x = torch.tensor([1.0, 2.0])
    >>> gradient(f, x)                # 这里 y = 8x（翻倍三次）：d/dx sum(64 x^2) = 128 x
    tensor([128., 256.])

需要知道的四件事：

* `y.backward()` 把 d y / d 叶子张量 加（累加）到每个需要梯度的叶子张量的 `leaf.grad` 上；
  `torch.autograd.grad(y, leaf)` 则直接返回梯度，不碰任何 `.grad`。
* 有些运算会为反向传播保存张量（`y * y` 保存了 `y`），反向传播之后这些张量会被释放。对这样的
  计算图第二次调用 `backward()` 会报错 "Trying to backward through the graph a second time"，
  除非之前的调用传了 `retain_graph=True`。（没有保存任何张量的计算图，例如 `(x + 1).sum()`
  的计算图，反向传播两次也不会报错：不要依赖这一点。）
* `x.detach()` 是一个与 `x` 共享内存、但没有历史（也没有 `.grad`）的新张量：它不是副本。它是
  叶子张量；再调用 `.requires_grad_()` 就会为它开启记录，之后对它的运算会建立一张通向它的
  计算图。
* TensorFlow 1 先构建静态计算图、之后再运行；TensorFlow 2 和 PyTorch 一样，默认即时执行
  （它的 `tf.function` 会编译出计算图，就像这里的 `torch.compile`）。

运行 `grade exercise4` 检查你的答案，卡住时运行 `grade hint exercise4`。
"""

from collections.abc import Callable

import torch  # noqa: F401 - 你会用到 torch.autograd
from torch import Tensor


def gradient(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """返回 d f(x) / dx，即标量 `f(x)` 的梯度，形状与 `x` 相同。

    `f` 可以对张量值使用 Python 控制流（if、while 循环）：计算图是在 `f` 运行时记录的，所以这
    不成问题。

    `x` 是任意设备上、浮点 dtype 的叶子张量。它可能需要梯度也可能不需要，也可能已经带着之前留下的
    `.grad`。它必须原样返回：`x.grad` 保持不变（None 仍是 None，已有的梯度数值不变），
    `x.requires_grad` 不变，数值也不变。结果的 dtype 和设备与 `x` 相同，并且不需要梯度（它是一个
    普通的值，不属于任何计算图）。
    """
    raise NotImplementedError


def accumulated_grad(f: Callable[[Tensor], Tensor], x: Tensor, times: int) -> Tensor:
    """只调用一次 `f`，然后对这同一张计算图反向传播 `times` 次（`times >= 1`）。

    每次反向传播都再累加一次梯度，所以结果等于 `gradient(f, x)` 的 `times` 倍。计算图只能建立
    一次：`f` 恰好调用一次（评分器会统计调用次数），然后让梯度沿它反向流动 `times` 次。在最后一次
    反向传播之前，要让计算图一直保留。

    与 `gradient` 一样：`x` 原样返回（数值、`.grad`、`.requires_grad`），结果的 dtype 和设备与
    `x` 相同，并且不需要梯度。
    """
    raise NotImplementedError
