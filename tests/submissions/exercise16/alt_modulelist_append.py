# expect: passed
"""The smallest edits to the stub: the same code with each bug fixed where it is."""

import torch
import torch.nn.functional as F
from torch import nn


def classify_loss(logits, labels):
    if labels.dim() == 2:
        labels = labels.squeeze(1)
    return F.cross_entropy(logits, labels.long())


def predict(model, features):
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    inputs = torch.from_numpy(features).float().to(device)
    with torch.no_grad():
        scores = model(inputs)
    model.train(was_training)
    return scores.cpu().numpy().argmax(axis=1)


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            self.layers.append(nn.Linear(n_in, n_out))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def swish(x):
    out = torch.sigmoid(x)
    out = out * x
    return out


def evaluate(model, loader, loss_fn):
    was_training = model.training
    model.eval()
    total = 0.0
    count = 0
    with torch.no_grad():
        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            total = total + loss.item() * len(targets)
            count += len(targets)
    model.train(was_training)
    return total / count
