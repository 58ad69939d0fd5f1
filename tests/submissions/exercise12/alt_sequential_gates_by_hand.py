# expect: passed
from collections import OrderedDict

import torch
from torch import nn


class SeqClassifier(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_classes: int):
        super().__init__()
        self.encoder = nn.Sequential(
            OrderedDict(embed=nn.Embedding(vocab_size, embed_dim))
        )
        self.lstm = nn.LSTM(embed_dim, hidden_size, 1, batch_first=True)
        self.out = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        seq, _ = self.lstm(self.encoder(tokens))
        last = seq[:, seq.size(1) - 1, :]
        return self.out(last)


def lstm_with_cell(lstm, x):
    # The LSTMCell equations written out, with the combined bias.
    w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0
    bias = lstm.bias_ih_l0 + lstm.bias_hh_l0 if lstm.bias else 0
    h = torch.zeros(x.size(1), lstm.hidden_size, dtype=x.dtype, device=x.device)
    c = torch.zeros_like(h)
    hs = []
    with torch.no_grad():
        for x_t in x.unbind(0):
            i, f, g, o = (x_t @ w_ih.T + h @ w_hh.T + bias).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
    return torch.stack(hs, dim=0), (h.unsqueeze(0), c.unsqueeze(0))
