# expect: passed
"""nll_loss of log_softmax, inference_mode, an interleaved Sequential, F.silu, a running mean."""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def classify_loss(logits, labels):
    targets = labels.view(labels.shape[0]).to(torch.int64)
    return F.nll_loss(F.log_softmax(logits, dim=-1), targets)


def predict(model, features):
    mode = model.training
    param = next(model.parameters())
    model.train(False)
    try:
        with torch.inference_mode():
            inputs = torch.tensor(features, dtype=param.dtype, device=param.device)
            classes = torch.argmax(model(inputs), dim=1)
    finally:
        model.train(mode)
    return np.asarray(classes.cpu(), dtype=np.int64)


class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        parts = []
        for i in range(len(sizes) - 1):
            if i:
                parts.append(nn.ReLU())
            parts.append(nn.Linear(sizes[i], sizes[i + 1]))
        self.layers = nn.Sequential(*parts)

    def forward(self, x):
        return self.layers(x)


def swish(x):
    return F.silu(x)


def evaluate(model, loader, loss_fn):
    mode = model.training
    model.eval()
    mean, seen = 0.0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            n = inputs.shape[0]
            batch = float(loss_fn(model(inputs), targets))
            seen += n
            mean += (batch - mean) * n / seen
    model.train(mode)
    return mean
