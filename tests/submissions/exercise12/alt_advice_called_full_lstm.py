# expect: passed
# mistake_calls_lstm.py with the diagnosis of called_full_lstm applied literally
import torch
from torch import nn


class SeqClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        output, (h_n, c_n) = self.lstm(self.embedding(tokens))
        return self.fc(output[:, -1])


def lstm_with_cell(lstm, x):
    weight = lstm.weight_ih_l0
    cell = nn.LSTMCell(
        lstm.input_size, lstm.hidden_size, bias=lstm.bias, device=weight.device, dtype=weight.dtype
    )
    with torch.no_grad():
        for name, value in lstm.named_parameters():
            getattr(cell, name.removesuffix("_l0")).copy_(value)
    h = x.new_zeros(x.shape[1], lstm.hidden_size)
    c = x.new_zeros(x.shape[1], lstm.hidden_size)
    outputs = []
    for step in x:
        h, c = cell(step, (h, c))
        outputs.append(h)
    return torch.stack(outputs), (h.unsqueeze(0), c.unsqueeze(0))
