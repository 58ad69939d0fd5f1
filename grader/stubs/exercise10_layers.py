"""Exercise 10 · Convolution, pooling, normalization, dropout.

A convolution slides a kernel over the image. Along one side of `size` pixels, with `padding`
zeros added on *both* ends, a kernel of `kernel` elements spread `dilation` pixels apart covers
`dilation * (kernel - 1) + 1` pixels, and it moves `stride` pixels at a time. The output side
counts how many whole positions fit; a last, partial position is dropped:

    >>> nn.Conv2d(3, 8, kernel_size=3)(torch.rand(1, 3, 32, 32)).shape        # 32 - 3 + 1
    torch.Size([1, 8, 30, 30])
    >>> nn.Conv2d(3, 8, 3, stride=2, padding=1)(torch.rand(1, 3, 32, 32)).shape  # 16 positions
    torch.Size([1, 8, 16, 16])

A transposed convolution (`nn.ConvTranspose2d`) goes the other way and grows the image; since
several input sizes give the same Conv2d output size, `output_padding` picks which one to go
back to by adding that many pixels on one side of the result.

A small classifier stacks blocks of Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d, then
AdaptiveAvgPool2d, which averages each channel down to a fixed size whatever H and W were, so
that the final Linear layer always sees the same number of features. Two layers behave
differently in the two modes of a model:

* training mode (`model.train()`): Dropout zeroes random activations (and scales the others);
  BatchNorm normalizes with the statistics of the current batch and updates its running
  averages;
* evaluation mode (`model.eval()`): Dropout does nothing; BatchNorm uses its running averages,
  so one image's output no longer depends on the rest of the batch.

In training mode BatchNorm needs more than one value per channel to compute a variance: a batch
of one image of 4 x 4 pixels is fine (16 values per channel), while a batch of one after global
pooling, (1, C, 1, 1), or a (1, C) input to BatchNorm1d raises "Expected more than 1 value per
channel when training". In evaluation mode any batch works.

Run `grade exercise10` to check your work, `grade hint exercise10` when stuck.
"""

import torch  # noqa: F401  (torch.no_grad and friends, for predict)
from torch import Tensor, nn


def conv2d_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Return one spatial side of `nn.Conv2d`'s output for an input side of `size` pixels.

    All arguments are ints (one side of an `nn.Conv2d` with these settings). Return an `int`
    equal to the output's side as PyTorch computes it, for every valid combination (the
    dilated kernel fits in the padded input). Use integer arithmetic: `//` floors, `/` gives a
    float.
    """
    raise NotImplementedError


def conv_transpose2d_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Return one spatial side of `nn.ConvTranspose2d`'s output for an input side of `size`.

    All arguments are ints, and `output_padding` is smaller than `stride` or than `dilation`
    (PyTorch refuses anything else). Return an `int` equal to the output's side as PyTorch
    computes it.
    """
    raise NotImplementedError


class SmallCNN(nn.Module):
    """A small image classifier: (B, in_channels, H, W) -> (B, num_classes) raw scores (logits).

    Requirements the grader checks:

    * It contains, as layers built in `__init__` (attributes or inside an `nn.Sequential`, so
      that `print(model)` lists them), at least one each of: `nn.Conv2d`, `nn.BatchNorm2d`,
      `nn.ReLU`, `nn.MaxPool2d`, `nn.AdaptiveAvgPool2d`, `nn.Dropout` and `nn.Linear`. Layers
      created inside `forward`, and `F.relu` / `F.dropout` calls, do not count (and a new
      `nn.Dropout` made in `forward` is always in training mode).
    * `forward` returns a float tensor of shape (B, num_classes) for every H, W >= 8 (square or
      not) and every B >= 1 in evaluation mode (B >= 2 in training mode).
    * In evaluation mode the output is deterministic and one image's output does not depend
      on the other images of the batch; in training mode dropout makes two calls differ.
    * At most 100_000 parameters for `in_channels` <= 3 and `num_classes` <= 10.
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10) -> None:
        """Build the layers (channels `in_channels` in, `num_classes` scores out)."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Map (B, in_channels, H, W) to (B, num_classes)."""
        raise NotImplementedError


def predict(model: nn.Module, x: Tensor) -> Tensor:
    """Return `model(x)` computed in evaluation mode, without building an autograd graph.

    * The outputs are those of evaluation mode (dropout off, batch norm with running stats),
      whatever mode the model was in.
    * The forward pass runs with gradient tracking off (`torch.no_grad()` or
      `torch.inference_mode()`), so the result does not require grad and has no `grad_fn`.
      (Calling `.detach()` afterwards is not enough: the graph was still built.)
    * Afterwards the model is in the mode it was in before: a model in training mode goes
      back to training mode (every submodule too), a model in evaluation mode stays there.
    """
    raise NotImplementedError
