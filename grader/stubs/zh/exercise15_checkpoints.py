"""练习 15 · 保存与加载检查点。

训练中途停下（程序崩溃、时间用完、一天结束）之后，应当能从停下的地方原样继续。需要保存的
不是作为 Python 对象的“模型”，而是它的*状态*：

* `model.state_dict()`：一个有序字典，把 "0.weight"、"1.running_mean" 这样的名字映射到
  张量：每个参数和每个缓冲区（BatchNorm 的滑动统计量就是缓冲区）。
* `optimizer.state_dict()`：优化器自己的状态（SGD 的动量缓冲区、Adam 的滑动平均、步数）
  以及它的参数组（学习率……）。没有它，恢复后的训练会从零重新开始累积动量，不再与从未中断
  的训练一致。
* 进度：epoch（以及训练循环需要的其他东西，例如学习率调度器的状态）。

`torch.save(obj, path)` 用 pickle 保存 `obj`。保存整个模块（`torch.save(model, path)`）
会记录它的类的引用，因此这个文件只能在能以同样名字导入该类的地方加载；state dict 只包含
张量和普通值，在哪里都能加载。

加载时有三个陷阱：

* **设备。** 文件中的每个张量都记得自己保存时所在的设备。在 GPU 上写入的检查点不能直接
  在只有 CPU 的机器上加载：torch 会报错 `RuntimeError: Attempting to deserialize object
  on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only
  machine, please use torch.load with map_location=torch.device('cpu') to map your storages
  to the CPU.`。`map_location` 指定张量应改放到哪里。
* **不可信的文件。** 反序列化可以运行文件中指定的任何代码。`torch.load(...,
  weights_only=True)` 只接受张量、容器和普通值，其他一律以 `UnpicklingError: Weights only
  load failed` 拒绝。从 torch 2.6 起这是默认值；更早的版本默认为 False，所以请明确写出来。
* **`nn.DataParallel`。** 包装器把你的网络作为子模块 `module` 保存，所以它的 state dict
  的键都以 "module." 开头（"module.0.weight"），普通模型会拒绝这些键：`Missing key(s) in
  state_dict: "0.weight", ... Unexpected key(s) in state_dict: "module.0.weight", ...`。
  请保存内部的模块（`wrapped.module`），或者给别人保存的文件改键名。

`model.load_state_dict(state)` 把值复制进模型已有的张量（无论它们在哪个设备上），并且默认
（`strict=True`）在缺少或多出任何键时报错：悄悄地只加载一部分，会让某些层停留在随机初始值。

运行 `grade exercise15` 检查你的代码，卡住时运行 `grade hint exercise15`。
"""

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, path) -> None:
    """在 `path`（`str` 或 `os.PathLike`，例如 `pathlib.Path`）写入一个检查点文件。

    文件中保存一个字典，恰好包含这些键：

    * "model_state_dict"：模型的 state dict。用 `nn.DataParallel` 包装的模型按其内部模块
      保存，因此键不带 "module." 前缀，文件可以加载到未包装的普通模型中；
    * "optimizer_state_dict"：优化器的 state dict；
    * "epoch"：`epoch`，一个 int。

    只保存张量和普通 Python 值（不保存模块或优化器对象），所以文件能用
    `torch.load(path, weights_only=True)` 加载。返回 None。
    """
    raise NotImplementedError


def load_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, path, device="cpu") -> int:
    """用 save_checkpoint 写入的文件恢复 `model` 和 `optimizer`；返回其中的 epoch。

    加载文件时把张量映射到 `device`（这样在 GPU 上写入的检查点也能在没有 GPU 的机器上加载），
    并使用 `weights_only=True`（包含其他东西的文件会被拒绝：让这个错误传给调用者）。严格地
    恢复模型（每个键都必须对应；不对应就报错），并恢复优化器，使得从这里继续的训练与从未
    中断时完全一样。返回保存的 epoch（一个 int）。
    """
    raise NotImplementedError


def strip_module_prefix(state_dict: dict) -> dict:
    """返回一个新字典，其中每个键去掉一个开头的 "module."（`nn.DataParallel` 加上的）。

    "module.fc.weight" 变成 "fc.weight"；没有这个前缀的键保持原样；键中其他位置的
    "module." 不变（"encoder.module.bias" 保持不变），并且只去掉一个开头的前缀
    （"module.module.x" 变成 "module.x"）。值是同样的张量对象（不是副本），顺序不变；
    `state_dict` 本身保持不变。
    """
    raise NotImplementedError
