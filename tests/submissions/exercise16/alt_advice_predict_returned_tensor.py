# expect: passed
# mistake_predict_returns_tensor.py with the diagnosis of predict_returned_tensor applied literally

import torch
import torch.nn.functional as F
from torch import nn


def classify_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of raw `logits` against class indices of any int/float dtype, (N,) or (N, 1)."""
    # cross_entropy applies log_softmax itself: a softmax before it squashes the scores twice,
    # so the loss never gets near 0 and the gradients shrink. Targets must be int64 of shape
    # (N,): reshape(-1) flattens (N, 1) and keeps a batch of one as (1,) (squeeze() would not).
    return F.cross_entropy(logits, labels.reshape(-1).long())


def predict(model, features):
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        scores = model(torch.as_tensor(features, dtype=torch.float32, device=device))
    model.train(was_training)
    return scores.argmax(dim=1).cpu().numpy()


class MLP(nn.Module):
    """Linear layers for consecutive `sizes`, ReLU between them, registered under `layers`."""

    def __init__(self, sizes):
        """Build the layers for the widths in `sizes`."""
        super().__init__()
        # ModuleList registers each layer as a submodule: parameters(), .to(), state_dict()
        # and train()/eval() all see it. A plain list hides them from the module.
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, sizes[0]) -> (N, sizes[-1])."""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def swish(x: torch.Tensor) -> torch.Tensor:
    """x * sigmoid(x), differentiable, leaving x unchanged."""
    # sigmoid saves its output for backward; `out *= x` overwrote it, and backward refused
    # ("modified by an inplace operation"). An out-of-place product keeps it intact.
    return x * torch.sigmoid(x)


def evaluate(model: nn.Module, loader, loss_fn) -> float:
    """Mean loss per example over the loader, in eval mode, without graphs, mode restored."""
    was_training = model.training
    # eval(): Dropout off and BatchNorm uses (and does not update) its running statistics.
    model.eval()
    total = 0.0
    count = 0
    # no_grad: no graph is recorded, so nothing is kept alive from one batch to the next.
    with torch.no_grad():
        for inputs, targets in loader:
            # loss_fn averages over its batch: weight by the batch size, then divide by the
            # number of examples, so a smaller last batch counts for what it holds.
            total += loss_fn(model(inputs), targets).item() * len(targets)
            count += len(targets)
    model.train(was_training)
    return total / count
