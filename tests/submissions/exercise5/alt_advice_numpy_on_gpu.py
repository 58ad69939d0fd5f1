# expect: passed
# mistake_to_image_no_cpu.py with the diagnosis of numpy_on_gpu applied literally
"""Exercise 5 with to_image calling .numpy() without .cpu(): a tensor on a GPU cannot become an array."""

from collections.abc import Callable

import torch
import torchvision.transforms as T  # noqa: N812 - the usual name
from PIL import Image
from torch import Tensor

MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]


def eval_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """Resize the short side, center-crop, to tensor, normalize to [-1, 1]."""
    return T.Compose(
        [
            # An int resizes the short side and keeps the aspect ratio; (size, size) would
            # squash the image. Resizing the PIL image rounds to 8 bits, as the reference does.
            T.Resize(size),
            # The long side is now >= size: keep its middle part.
            T.CenterCrop(size),
            # uint8 (H, W, C) in 0..255 -> float32 (C, H, W) in [0, 1].
            T.ToTensor(),
            # (x - 0.5) / 0.5 maps [0, 1] onto [-1, 1]; Normalize needs a float tensor.
            T.Normalize(MEAN, STD),
        ]
    )


def train_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """A new random crop and flip on every call, then the eval normalization."""
    return T.Compose(
        [
            # Random area and aspect ratio, resized to size x size: always the same output
            # shape, even for thin images or ones smaller than size (RandomCrop would fail).
            T.RandomResizedCrop(size),
            # p = 0.5 by default; both transforms draw from torch's generator at call time.
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize(MEAN, STD),
        ]
    )


def pad_to_square(img: Image.Image, fill: int = 0) -> Image.Image:
    """Pad the short side on both ends (the odd pixel right or bottom) to a square."""
    width, height = img.size  # PIL: (width, height)
    side = max(width, height)
    left = (side - width) // 2  # floor: an odd extra pixel goes to the right...
    top = (side - height) // 2  # ...or to the bottom
    # A fresh canvas filled with `fill` in every channel, with img pasted at the offset.
    square = Image.new(img.mode, (side, side), (fill,) * len(img.getbands()))
    square.paste(img, (left, top))
    return square


def to_image(t: Tensor) -> Image.Image:
    """Undo Normalize(0.5, 0.5) and return the (3, H, W) tensor as an RGB PIL image."""
    # x * std + mean maps [-1, 1] back to [0, 1]; then 0..255, rounded to the nearest level
    # and clamped so that values a hair outside the range cannot wrap around in uint8.
    pixels = (t.detach() * 0.5 + 0.5).mul(255).round().clamp(0, 255).to(torch.uint8)
    # PIL wants (H, W, C) in CPU memory; the tensor is (C, H, W), maybe on a GPU.
    return Image.fromarray(pixels.permute(1, 2, 0).cpu().numpy())
