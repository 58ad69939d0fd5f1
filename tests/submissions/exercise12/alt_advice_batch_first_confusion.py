# expect: passed
# mistake_time_batch_confused.py with the diagnosis of batch_first_confusion applied literally
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
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size, bias=lstm.bias).to(x)
    with torch.no_grad():
        cell.weight_ih.copy_(lstm.weight_ih_l0)
        cell.weight_hh.copy_(lstm.weight_hh_l0)
        if lstm.bias:
            cell.bias_ih.copy_(lstm.bias_ih_l0)
            cell.bias_hh.copy_(lstm.bias_hh_l0)
    batch, steps = x.shape[1], x.shape[0]
    h = torch.zeros(batch, lstm.hidden_size, device=x.device, dtype=x.dtype)
    c = torch.zeros(batch, lstm.hidden_size, device=x.device, dtype=x.dtype)
    outputs = []
    for t in range(steps):
        h, c = cell(x[t], (h, c))
        outputs.append(h)
    return torch.stack(outputs, dim=0), (h.unsqueeze(0), c.unsqueeze(0))
