# expect: failed
# says: fused LSTM kernel ran
# exercise: exercise12
# The step-by-step function as a lambda that calls the whole LSTM: no `def lstm_with_cell` for
# a source reader to look into.
from torch import nn


class SeqClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, batch_first=True)
        self.classifier = nn.Linear(hidden_size, num_classes)

    def forward(self, tokens):
        output, _ = self.lstm(self.embedding(tokens))
        return self.classifier(output[:, -1])


lstm_with_cell = lambda lstm, x: lstm(x)  # noqa: E731 - the point of the attack
