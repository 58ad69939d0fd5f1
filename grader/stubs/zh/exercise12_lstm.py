"""练习 12 · 词嵌入与循环层。

文本以词元编号的形式进入模型：一个 int64 张量 (B, T)，每个句子一行，每行 T 个编号。

`nn.Embedding(vocab_size, embed_dim)` 是一张可学习的查找表，每个词元编号对应一行：它把
(B, T) 的编号变成 (B, T, embed_dim) 的浮点向量。（编号是标签，不是数量：直接把
`tokens.float()` 送进某个层，会把词元 7 当作比词元 3 "更多"。）

`nn.LSTM(input_size, hidden_size)` 一步一步地读取序列，并在步与步之间传递两个状态：隐藏状态 h
（它的输出）和细胞状态 c（它的记忆）。默认它要求时间维在前，即 (T, B, input_size)；设置
`batch_first=True` 时它接收 (B, T, input_size)。它返回

    output, (h_n, c_n) = lstm(x)
    output    batch_first=True 时为 (B, T, hidden_size)：每一步的 h
    h_n, c_n  (num_layers, B, hidden_size)：最后一步之后的 h 和 c（从不把批次放在前面）

所以最后一步的隐藏状态是 `output[:, -1]`（批次在前时）或 `h_n[-1]`；c_n 是记忆，不是输出。
`nn.LSTMCell(input_size, hidden_size)` 是同一计算的一步：`h, c = cell(x_t, (h, c))`，其中 x_t
的形状为 (B, input_size)。它的参数 `weight_ih`、`weight_hh`、`bias_ih`、`bias_hh` 与 LSTM 的
`weight_ih_l0`、`weight_hh_l0`、`bias_ih_l0`、`bias_hh_l0` 形状相同、门的顺序也相同。

    >>> nn.Embedding(4, 5)(torch.tensor([[0, 3]])).shape
    torch.Size([1, 2, 5])
    >>> output, (h_n, c_n) = nn.LSTM(4, 3, 1)(torch.rand(7, 2, 4))
    >>> output.shape, h_n.shape
    (torch.Size([7, 2, 3]), torch.Size([1, 2, 3]))
    >>> nn.LSTMCell(4, 3)(torch.rand(2, 4))[0].shape
    torch.Size([2, 3])

真实的批次是*填充过*的（见练习 6）：长短不一的句子在右边用编号 0 补齐。这时短句的
`output[:, -1]` 是读完填充之后的状态，而不是读完它最后一个真实词元之后的状态。有两种解决
办法：保留长度，取每一行在第 `length - 1` 步的状态；或者把
`nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)`
（lengths 放在 CPU 上）交给 LSTM，它会跳过填充部分，于是 `h_n` 就是每个句子读完最后一个真实
词元之后的状态。`nn.Embedding(vocab_size, dim, padding_idx=0)` 让填充编号的向量从零开始，
并且永远不给它梯度。（本练习中每个序列都是完整长度，所以最后一步就是最后一个真实的步。）

运行 `grade exercise12` 检查你的答案，卡住时运行 `grade hint exercise12`。
"""

import torch  # noqa: F401 - 你会用到它
from torch import Tensor, nn


class SeqClassifier(nn.Module):
    """对词元序列分类：Embedding -> 单层 LSTM（批次在前）-> Linear。

    各层（正好这三个，大小如下）：
      * `nn.Embedding(vocab_size, embed_dim)`，
      * `nn.LSTM(embed_dim, hidden_size, batch_first=True)`（一层，单向），
      * `nn.Linear(hidden_size, num_classes)`。

    `forward(tokens)` 接收 int64 的词元编号 (B, T)，返回形状为 (B, num_classes) 的原始分数
    （logits，不做 softmax）：即把 Linear 层作用于每个序列*最后*一个时间步之后 LSTM 的隐藏状态。
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int):
        """创建这三个层（先调用 `super().__init__()`）。"""
        raise NotImplementedError

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T) 的 int64 词元编号 -> (B, num_classes) 的 logits。"""
        raise NotImplementedError


def lstm_with_cell(lstm: nn.LSTM, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """用一个使用 LSTM 权重的 `nn.LSTMCell`，一步一步地算出 `lstm(x)`。

    `lstm` 是单层、单向、`batch_first=False` 的 LSTM（可能没有偏置，可以是任何浮点 dtype，
    在任何设备上）；`x` 是 LSTM 所在设备上、同一 dtype 的 (T, B, input_size)，
    且 T >= 1。从形状为 (B, hidden_size) 的零状态 h 和 c 开始，按顺序输入 x[0]、x[1]、……、
    x[T - 1]，每一步都接收上一步的 (h, c)，并返回与 `lstm(x)` 完全相同的东西：

        output    (T, B, hidden_size)：每一步之后的 h，沿时间维堆叠
        h_n, c_n  (1, B, hidden_size)：最后一步之后的 h 和 c（1 是层数）

    以 `(output, (h_n, c_n))` 的形式返回，在浮点舍入误差范围内等于 `lstm(x)`。不要调用 `lstm`
    本身：目的就是看清它内部做了什么。不要改变 `lstm`。
    """
    raise NotImplementedError
