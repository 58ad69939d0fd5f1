"""练习 6 · Dataset 与 DataLoader。

`Dataset` 回答两个问题：一共有多少个样本（`__len__`），第 `i` 个样本是什么（`__getitem__`）。
其余的事都由 `DataLoader` 完成：它决定索引的顺序（`shuffle`），把它们分成大小为 `batch_size`
的批次（最后一个批次可能更小，除非 `drop_last=True` 把它丢掉），在 `num_workers` 个后台进程中
加载样本，并用它的 `collate_fn` 把一个批次的样本堆叠成张量。

    >>> ds = PairsDataset(torch.rand(10, 3), torch.arange(10))
    >>> len(ds), ds[0][0].shape
    (10, torch.Size([3]))
    >>> loader = make_loader(ds, batch_size=4)
    >>> [len(y) for x, y in loader]          # 10 个样本，每批 4 个
    [4, 4, 2]
    >>> count_batches(10, 4, drop_last=True)  # 最后那个不完整的批次被丢掉
    2

在 Windows 和 macOS 上（以及 Python 3.14 起的 Linux 上），工作进程收到的是经过 *pickle* 的
数据集：数据集里只能存放可以 pickle 的东西（张量、列表、数字），不要放 lambda、生成器或打开的
文件。在 Windows 和 macOS 上，工作进程是 *spawn* 出来的：每个进程启动一个全新的 Python 并导入
你的脚本，所以用 `num_workers > 0` 遍历 loader 的脚本必须把这段代码放在
`if __name__ == "__main__":` 下面，否则每个工作进程都会重新开始训练（并报错）。

关于工作进程还有几点：`persistent_workers=True` 让它们在各个 epoch 之间保持存活，而不是每个
epoch 重新启动。每个工作进程都用自己的种子（从主进程的 torch 生成器抽出的基础种子加上工作进程
编号）为 torch、`random` 和 NumPy 的全局生成器设定种子，所以 `torch.manual_seed` 或设好种子的
`generator=` 能让一次运行可复现。而数据集中保存的生成器对象（例如在 `__init__` 中创建的
`np.random.default_rng(0)`）会被原样复制到每个工作进程里，于是所有工作进程抽出相同的随机数：
请在 `worker_init_fn` 中用 `torch.utils.data.get_worker_info().seed` 为它重新设定种子。

长度不同的序列无法直接堆叠；`collate_fn` 会把它们填充到相同的长度：

    >>> batch = [(torch.tensor([5, 6, 7]), 1), (torch.tensor([8]), 0)]
    >>> padded, lengths, labels = pad_collate(batch)
    >>> padded
    tensor([[5, 6, 7],
            [8, 0, 0]])
    >>> lengths, labels
    (tensor([3, 1]), tensor([1, 0]))

要保留这些长度：模型必须知道每个填充过的行真正在哪里结束（见练习 12）。

运行 `grade exercise6` 检查你的答案，卡住时运行 `grade hint exercise6`。
"""

import torch  # noqa: F401 - 你会用到它（torch.tensor、torch.zeros 等）
from torch import Tensor
from torch.utils.data import DataLoader, Dataset


class PairsDataset(Dataset):
    """由 `(xs[i], ys[i])` 组成的样本对：输入和它的目标，按位置一一对应。

    当 `len(xs) != len(ys)` 时，`PairsDataset(xs, ys)` 抛出 `ValueError`（只有第一个维度需要一致：
    形状为 (N, 3) 的 xs 和形状为 (N,) 的 ys 没有问题）。数据集必须可以 pickle：属性中只保存 `xs`
    和 `ys`（或其他普通数据）。
    """

    def __init__(self, xs: Tensor, ys: Tensor) -> None:
        """保存 `xs` 和 `ys`；长度不同时抛出 ValueError。"""
        raise NotImplementedError

    def __len__(self) -> int:
        """样本对的个数 N。"""
        raise NotImplementedError

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        """元组 `(xs[i], ys[i])`。"""
        raise NotImplementedError


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool = False,
    drop_last: bool = False,
    num_workers: int = 0,
) -> DataLoader:
    """在 `dataset` 上创建一个 `DataLoader`，原样使用下面每个参数。

    （请按关键字传参：DataLoader 的第三个位置参数是 `shuffle`，但第四个是 `sampler`，而不是
    `drop_last`。）
    """
    raise NotImplementedError


def count_batches(n: int, batch_size: int, drop_last: bool) -> int:
    """对 `n` 个样本（n >= 0）跑一个 epoch 会得到多少个批次，以 int 返回。

    它必须等于 `len(DataLoader(dataset_of_n_samples, batch_size, drop_last=drop_last))`：
    `drop_last=False` 时，最后一个不完整的批次也算；`drop_last=True` 时它被丢掉。
    """
    raise NotImplementedError


def pad_collate(batch: list[tuple[Tensor, int]]) -> tuple[Tensor, Tensor, Tensor]:
    """把长度不同的一维序列（长度 >= 1）组成的 `(sequence, label)` 对整理成一个批次。

    返回元组 `(padded, lengths, labels)`：
    - `padded`：形状 (B, longest)，dtype 与序列相同，每个序列占一行，右边用零填充；
    - `lengths`：int64 张量 (B,)，每个序列的长度；
    - `labels`：int64 张量 (B,)。
    各行保持 `batch` 中的顺序（不要按长度排序）。
    """
    raise NotImplementedError
