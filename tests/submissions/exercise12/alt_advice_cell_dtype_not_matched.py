# expect: passed
# mistake_cell_default_dtype.py with the diagnosis of cell_dtype_not_matched applied literally
"""Exercise 12 with the cell built without dtype=: float32 weights meet a float64 input."""

import torch
from torch import Tensor, nn


class SeqClassifier(nn.Module):
    """Classify token sequences: Embedding -> one-layer LSTM (batch first) -> Linear."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int):
        """Create the embedding table, the LSTM and the output layer."""
        super().__init__()
        # One learned row of embed_dim numbers per token id: ids are labels, not quantities.
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        # batch_first=True because the tokens arrive as (B, T); without it the LSTM would read
        # the batch as time and the time steps as separate sequences.
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers=1, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T) int64 token ids -> (B, num_classes) logits."""
        embedded = self.embedding(tokens)  # (B, T, embed_dim)
        output, (h_n, c_n) = self.lstm(embedded)  # output (B, T, H); h_n, c_n (1, B, H)
        # The last step's hidden state: output[:, -1] (batch first!) is the same as h_n[-1].
        # c_n is the cell's memory, not its output.
        return self.classifier(output[:, -1])


def lstm_with_cell(lstm: nn.LSTM, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Compute `lstm(x)` step by step with an `nn.LSTMCell` that uses the LSTM's weights."""
    weight = lstm.weight_ih_l0
    cell = nn.LSTMCell(
        lstm.input_size,
        lstm.hidden_size,
        bias=lstm.bias,
        device=weight.device,
        dtype=lstm.weight_ih_l0.dtype,
    )
    # The cell's parameters have the same shapes and gate order (input, forget, cell, output)
    # as layer 0 of the LSTM: copy all four, both biases included (the LSTM adds both).
    with torch.no_grad():
        cell.weight_ih.copy_(lstm.weight_ih_l0)
        cell.weight_hh.copy_(lstm.weight_hh_l0)
        if lstm.bias:
            cell.bias_ih.copy_(lstm.bias_ih_l0)
            cell.bias_hh.copy_(lstm.bias_hh_l0)

    steps, batch, _ = x.shape
    # Both states start at zero, one row per sequence of the batch; x is time first.
    h = x.new_zeros(batch, lstm.hidden_size)
    c = x.new_zeros(batch, lstm.hidden_size)
    outputs = []
    for t in range(steps):
        # Each step gets the previous step's (h, c): that carried state is the recurrence.
        h, c = cell(x[t], (h, c))
        outputs.append(h)
    # output stacks h along time; h_n and c_n keep a leading num_layers dimension of 1.
    return torch.stack(outputs), (h.unsqueeze(0), c.unsqueeze(0))
