"""Exercise 16 · Five classic bugs.

This exercise is different: nothing here raises `NotImplementedError`. Each function below is
working code of the kind found in real projects, and each has one classic bug. Some bugs raise
an error (read it: torch's messages say a lot); others run without complaint and give a wrong
answer, a model that cannot learn, or a memory that fills up. Fix each function so that its
docstring holds, changing as little as you can. `grade exercise16` counts the file as not
started until you change it.

A few facts that the bugs turn on:

* `F.cross_entropy` and `nn.CrossEntropyLoss` take raw scores (logits): they apply
  `log_softmax` themselves, in one numerically stable step. Class-index targets must be int64
  (`torch.long`) and of shape (N,).
* NumPy's default float is float64; a model's parameters are float32. A tensor made from a
  NumPy array with `torch.from_numpy` keeps the array's dtype (and shares its memory).
* Autograd records every operation on tensors that require grad, as long as grad mode is on,
  and keeps what backward will need; `torch.no_grad()` turns recording off.
* An `nn.Module` finds its parameters through the attributes that are themselves modules or
  parameters; a plain Python list of layers is invisible to it.
* Some layers behave differently in training and in evaluation (`Dropout`, `BatchNorm`):
  `model.train()` / `model.eval()` switch them, and `model.training` says which mode is on.

Run `grade exercise16` to check your work, `grade hint exercise16` when stuck.
"""

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def classify_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy of raw scores `logits` (N, C) against class indices `labels`.

    `labels` holds one class index per row, but may arrive as floats (2.0) or as int32, and
    shaped (N,) or (N, 1), as labels read from a CSV file or a NumPy array often do. Returns a
    0-dim tensor, differentiable with respect to `logits`, equal to
    `F.cross_entropy(logits, the labels as int64 of shape (N,))`. `logits` are raw scores,
    not probabilities.
    """
    probabilities = F.softmax(logits, dim=1)
    return F.cross_entropy(probabilities, labels)


def predict(model: nn.Module, features: np.ndarray) -> np.ndarray:
    """The predicted class of each row of `features`: a NumPy int64 array of shape (N,).

    `features` is a float64 NumPy array (N, F); `model` is a float32 classifier (N, F) ->
    (N, C) on any device (the device of its parameters). The prediction of a row is the index
    of its largest score. Predict in evaluation mode and without recording a graph (nothing
    will call backward, so recording would only cost memory and time); afterwards the model is
    back in the mode it was in, and its parameters are unchanged (still float32).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    inputs = torch.from_numpy(features).to(device)
    scores = model(inputs)
    model.train(was_training)
    return scores.cpu().numpy().argmax(axis=1)


class MLP(nn.Module):
    """A multi-layer perceptron: Linear layers with a ReLU between each pair of them.

    `MLP([4, 8, 8, 3])` maps (N, 4) to (N, 3) through Linear(4, 8), ReLU, Linear(8, 8), ReLU,
    Linear(8, 3): a Linear layer between each pair of consecutive `sizes`, a ReLU between two
    Linear layers and none after the last (its outputs are raw scores). All parameters are
    registered under the attribute `layers` (an `nn.ModuleList` or an `nn.Sequential`), so that
    `parameters()` yields them (an optimizer trains them), `.to(device)` moves them, and
    `state_dict()` saves them under keys that start with "layers.".
    """

    def __init__(self, sizes):
        """Build the layers for the widths in `sizes` (at least two of them)."""
        super().__init__()
        self.layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            self.layers.append(nn.Linear(n_in, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, sizes[0]) -> (N, sizes[-1])."""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def swish(x: torch.Tensor) -> torch.Tensor:
    """The swish (SiLU) activation, `x * sigmoid(x)`, element-wise, as a new tensor.

    Differentiable with respect to `x`: `swish(x).sum().backward()` fills `x.grad` with
    `sigmoid(x) * (1 + x * (1 - sigmoid(x)))`. `x` itself is left unchanged. Any shape, float
    dtypes, any device.
    """
    out = torch.sigmoid(x)
    out *= x
    return out


def evaluate(model: nn.Module, loader, loss_fn) -> float:
    """The mean loss per example over every `(inputs, targets)` batch of `loader`, as a float.

    Batches may differ in size (the last one is often smaller), and `loss_fn` returns the mean
    over its batch, so each batch counts in proportion to its size: the result is the mean
    over all examples, not the mean of the batch means. Evaluate in evaluation mode (Dropout
    off, BatchNorm's running statistics used and left as they are) and without recording
    graphs; afterwards the model is back in the mode it was in. Returns a Python float.
    """
    total = 0.0
    count = 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        total = total + loss * len(targets)
        count += len(targets)
    return total / count
