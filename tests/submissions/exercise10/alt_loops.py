# expect: passed
import torch
from torch import nn


def conv2d_output_size(size, kernel, stride=1, padding=0, dilation=1):
    # Slide the kernel along the padded side and count the positions where it fits.
    padded = size + 2 * padding
    span = dilation * (kernel - 1) + 1
    count, start = 0, 0
    while start + span <= padded:
        count += 1
        start += stride
    return count


def conv_transpose2d_output_size(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    full = (size - 1) * stride + dilation * (kernel - 1) + 1
    return full - padding - padding + output_padding


def block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=2),
    )


class SmallCNN(nn.Module):
    def __init__(self, in_channels: int = 3, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            block(in_channels, 16), block(16, 32), block(32, 48), nn.AdaptiveAvgPool2d((2, 2))
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(48 * 4, num_classes))

    def forward(self, x):
        return self.head(self.body(x))


@torch.no_grad()
def predict(model, x):
    was_training = model.training
    model.eval()
    result = model(x)
    if was_training:
        model.train()
    return result
