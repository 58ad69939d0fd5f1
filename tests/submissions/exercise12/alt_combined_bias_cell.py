# expect: passed
import torch
from torch import nn


class SeqClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.embedding(tokens))
        return self.fc(out[:, -1, :])


def lstm_with_cell(lstm, x):
    T, B, _ = x.shape
    cell = nn.LSTMCell(
        lstm.input_size, lstm.hidden_size, bias=lstm.bias, device=x.device, dtype=x.dtype
    )
    cell.weight_ih = lstm.weight_ih_l0
    cell.weight_hh = lstm.weight_hh_l0
    if lstm.bias:
        with torch.no_grad():
            cell.bias_ih.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)
            cell.bias_hh.zero_()
    h = torch.zeros(B, lstm.hidden_size, device=x.device, dtype=x.dtype)
    c = torch.zeros(B, lstm.hidden_size, device=x.device, dtype=x.dtype)
    outputs = []
    for t in range(T):
        h, c = cell(x[t], (h, c))
        outputs.append(h.unsqueeze(0))
    return torch.cat(outputs), (h.view(1, B, -1), c.view(1, B, -1))
