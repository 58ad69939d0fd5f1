# expect: failed mistake=called_full_lstm
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
    output, (h_n, c_n) = lstm(x)
    return output, (h_n, c_n)
