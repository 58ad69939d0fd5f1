"""Exercise 10 · Convolution, pooling, normalization, dropout (reference solution)."""

import torch
from torch import Tensor, nn


def conv2d_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Return one spatial side of `nn.Conv2d`'s output for an input side of `size` pixels."""
    # The dilated kernel spans dilation * (kernel - 1) + 1 pixels of the padded input; the
    # first position is the "+ 1", then one more for every whole stride that still fits.
    # `//` floors, which drops a last partial position exactly as PyTorch does.
    span = dilation * (kernel - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def conv_transpose2d_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Return one spatial side of `nn.ConvTranspose2d`'s output for an input side of `size`."""
    # The inverse of the Conv2d formula solved for the input size; output_padding then picks
    # one of the `stride` input sizes that the floor division maps to the same output.
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


class SmallCNN(nn.Module):
    """A small image classifier: (B, in_channels, H, W) -> (B, num_classes) logits."""

    def __init__(self, in_channels: int = 3, num_classes: int = 10) -> None:
        """Two conv blocks, a global average pool and a dropout-regularised linear head."""
        super().__init__()
        # Two halvings take an 8x8 input to 2x2: a third MaxPool2d(2) would still work, a
        # fourth would shrink 8x8 to nothing.
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        # Whatever H and W were, each channel is averaged to 1x1, so the Linear layer always
        # sees 32 features: this is what makes the model accept any input size.
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(32, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Map (B, in_channels, H, W) to (B, num_classes)."""
        return self.classifier(self.pool(self.features(x)))


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """Return `model(x)` in evaluation mode without a graph, restoring the model's mode."""
    # Remember the mode so that a model in the middle of training goes back to training.
    was_training = model.training
    model.eval()
    try:
        # no_grad: nothing is recorded for backward, so no activations are kept in memory.
        with torch.no_grad():
            return model(x)
    finally:
        # train(mode) sets every submodule, unlike assigning model.training; `finally` restores
        # the mode even if the forward pass raises.
        model.train(was_training)
