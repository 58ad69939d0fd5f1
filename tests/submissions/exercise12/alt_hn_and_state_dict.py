# expect: passed
import torch
import torch.nn as nn


class SeqClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.LSTM(input_size=embed_dim, hidden_size=hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        _, (h, _) = self.rnn(self.emb(tokens))
        return self.head(h[-1])


def lstm_with_cell(lstm, x):
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size, bias=lstm.bias).to(x)
    renamed = {name.removesuffix("_l0"): value for name, value in lstm.state_dict().items()}
    cell.load_state_dict(renamed)
    out = x.new_empty(x.shape[0], x.shape[1], lstm.hidden_size)
    state = None
    for t in range(x.shape[0]):
        state = cell(x[t], state)
        out[t] = state[0]
    h, c = state
    return out, (h[None], c[None])
