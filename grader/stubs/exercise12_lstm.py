"""Exercise 12 · Embeddings and recurrent layers.

Text reaches a model as token ids: an int64 tensor (B, T), one row of T ids per sentence.

`nn.Embedding(vocab_size, embed_dim)` is a learned lookup table with one row per token id: it
turns (B, T) ids into (B, T, embed_dim) float vectors. (Ids are labels, not quantities: feeding
`tokens.float()` straight into a layer would treat token 7 as "more" than token 3.)

`nn.LSTM(input_size, hidden_size)` reads a sequence one step at a time and carries two states
from step to step: the hidden state h (what it outputs) and the cell state c (its memory). By
default it wants time first, (T, B, input_size); with `batch_first=True` it takes
(B, T, input_size). It returns

    output, (h_n, c_n) = lstm(x)
    output    (B, T, hidden_size) with batch_first=True: h at every step
    h_n, c_n  (num_layers, B, hidden_size): h and c after the last step (never batch first)

so the last step's hidden state is `output[:, -1]` (batch first) or `h_n[-1]`; c_n is the
memory, not an output. `nn.LSTMCell(input_size, hidden_size)` is one step of the same
computation: `h, c = cell(x_t, (h, c))` with x_t of shape (B, input_size). Its parameters
`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` have the same shapes and gate order as the
LSTM's `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`.

    >>> nn.Embedding(4, 5)(torch.tensor([[0, 3]])).shape
    torch.Size([1, 2, 5])
    >>> output, (h_n, c_n) = nn.LSTM(4, 3, 1)(torch.rand(7, 2, 4))
    >>> output.shape, h_n.shape
    (torch.Size([7, 2, 3]), torch.Size([1, 2, 3]))
    >>> nn.LSTMCell(4, 3)(torch.rand(2, 4))[0].shape
    torch.Size([2, 3])

Real batches are *padded* (exercise 6): sentences of different lengths, filled with id 0 on the
right. Then `output[:, -1]` of a short sentence is the state after the padding, not after its
last real token. Two ways out: keep the lengths and pick each row's state at step
`length - 1`, or hand the LSTM a `nn.utils.rnn.pack_padded_sequence(x, lengths,
batch_first=True, enforce_sorted=False)` (lengths on the CPU), which skips the padding, so
`h_n` is each sentence's state after its last real token. `nn.Embedding(vocab_size, dim,
padding_idx=0)` starts the padding id's vector at zero and never gives it a gradient. (In this
exercise every sequence is full length, so the last step is the last real step.)

Run `grade exercise12` to check your work, `grade hint exercise12` when stuck.
"""

import torch  # noqa: F401 - you will need it
from torch import Tensor, nn


class SeqClassifier(nn.Module):
    """Classify token sequences: Embedding -> one-layer LSTM (batch first) -> Linear.

    Layers (exactly these three, with these sizes):
      * `nn.Embedding(vocab_size, embed_dim)`,
      * `nn.LSTM(embed_dim, hidden_size, batch_first=True)` (one layer, one direction),
      * `nn.Linear(hidden_size, num_classes)`.

    `forward(tokens)` takes int64 token ids (B, T) and returns raw scores (logits, no softmax)
    of shape (B, num_classes): the Linear layer applied to the LSTM's hidden state after the
    *last* time step of each sequence.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int):
        """Create the three layers (call `super().__init__()` first)."""
        raise NotImplementedError

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T) int64 token ids -> (B, num_classes) logits."""
        raise NotImplementedError


def lstm_with_cell(lstm: nn.LSTM, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Compute `lstm(x)` step by step with an `nn.LSTMCell` that uses the LSTM's weights.

    `lstm` is a one-layer, one-direction LSTM with `batch_first=False`, with or without
    bias, in any float dtype, on any device; `x` is (T, B, input_size) on the LSTM's device and
    in its dtype, with T >= 1. Start from zero states h and c of shape
    (B, hidden_size), feed x[0], x[1], ..., x[T - 1] in order, each step getting the previous
    step's (h, c), and return exactly what `lstm(x)` returns:

        output    (T, B, hidden_size): h after each step, stacked along time
        h_n, c_n  (1, B, hidden_size): h and c after the last step (1 = the number of layers)

    as `(output, (h_n, c_n))`, equal to `lstm(x)` up to float rounding. Do not call `lstm`
    itself: the point is to see what it does inside. Leave `lstm` unchanged.
    """
    raise NotImplementedError
