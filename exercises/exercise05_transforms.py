"""Exercise 5 · Image preprocessing with torchvision.

Images arrive as PIL images of any size; a model wants float tensors of one fixed shape with
values in a small range around 0. `torchvision.transforms` (imported as `T`) chains the steps:

    T.Resize(224)          the SHORT side becomes 224, the aspect ratio is kept:
                           a 300 x 200 (W x H) image becomes 336 x 224
    T.Resize((224, 224))   both sides become 224: the image is squashed or stretched
    T.CenterCrop(224)      the middle 224 x 224 pixels
    T.ToTensor()           PIL uint8 (H, W, C) in 0..255  ->  float32 (C, H, W) in [0, 1]
    T.Normalize(m, s)      (x - m) / s per channel: with m = s = 0.5, [0, 1] -> [-1, 1]
    T.Pad(p, fill)         adds p pixels of colour `fill` on every side (or (left, top,
                           right, bottom) when p is a tuple of four)
    T.ToPILImage()         float (C, H, W) in [0, 1] -> PIL image; it does NOT undo Normalize
    T.Compose([...])       applies the steps in order

Order matters: resizing and cropping work on PIL images, Normalize only on float tensors.

    >>> img = Image.new("RGB", (300, 200), (255, 0, 128))    # PIL sizes are (width, height)
    >>> x = eval_transform(224)(img)
    >>> x.shape, x.min().item(), x.max().item()
    (torch.Size([3, 224, 224]), -1.0, 1.0)

Training uses *random* transforms (data augmentation): every epoch sees a slightly different
crop of each image, sometimes mirrored. They draw from torch's random number generator, so
`torch.manual_seed(0)` makes a run reproducible.

`torchvision.transforms.v2` is the recommended API for new code: the same classes, which also
transform bounding boxes and masks along with the image. There `v2.ToTensor` is deprecated;
write `v2.ToImage()` followed by `v2.ToDtype(torch.float32, scale=True)`. This exercise uses
the classic `T`, which every tutorial shows and v2 follows. (`T.Scale`, still found in old
tutorials and cheat sheets, was removed long ago: it is `T.Resize`.)

Run `grade exercise5` to check your work, `grade hint exercise5` when stuck.
"""

from collections.abc import Callable

import torch  # noqa: F401 - you may need it
import torchvision.transforms as T  # noqa: F401, N812 - the usual name
from PIL import Image
from torch import Tensor

MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]


def eval_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """Return a callable that turns a PIL RGB image into the (3, size, size) evaluation input.

    Steps: resize so that the short side is `size`, keeping the aspect ratio; crop the center
    `size` x `size`; convert to a float32 tensor in [0, 1]; normalize each channel with mean 0.5
    and std 0.5, giving values in [-1, 1].

    The result must equal, within 1e-6, what torchvision's own transforms for these four
    steps give, for images of every size: wide, tall, 1 pixel thin, or smaller than `size`.
    (Resizing a PIL image and resizing a tensor round differently: resize before converting.)
    """
    raise NotImplementedError


def train_transform(size: int = 224) -> Callable[[Image.Image], Tensor]:
    """Return a random training transform: PIL RGB image -> (3, size, size) float32 tensor.

    Steps: a random resized crop to `size` x `size` (T.RandomResizedCrop), a random horizontal
    flip with probability 1/2, conversion to a tensor in [0, 1], and the same normalization as
    `eval_transform`, giving values in [-1, 1].

    Every call draws a new crop and a new flip; nothing random is decided when the transform is
    built. Draw randomness only from torch's generator (torchvision's random transforms do), so
    that `torch.manual_seed(s)` before building and calling the transform reproduces its
    outputs exactly. Never flip vertically: the sky stays on top.
    """
    raise NotImplementedError


def pad_to_square(img: Image.Image, fill: int = 0) -> Image.Image:
    """Return a new square image: `img` in the middle, the shorter side padded with `fill`.

    For an image of width w and height h, the result is side x side with side = max(w, h). The
    padding is split equally between the two ends of the short side; when it is odd, the extra
    pixel goes on the right (or at the bottom). Every channel of the padding is `fill`, the
    mode stays the same (RGB), and `img` itself is left unchanged. A square image comes back as
    it is (as a copy or itself).

    Careful: PIL's `img.size` is (width, height), while a tensor or array of it is (H, W, C).
    """
    raise NotImplementedError


def to_image(t: Tensor) -> Image.Image:
    """Turn a normalized (3, H, W) tensor, as `eval_transform` makes, back into an RGB image.

    Undo Normalize (x * std + mean), scale [0, 1] to 0..255, and build an RGB PIL image of
    width W and height H. `t` may be on any device. Every pixel must be within one grey level
    of the exact value (x * 0.5 + 0.5) * 255, so `to_image(eval_transform(s)(img))` gives back
    an `s` x `s` RGB `img` to within one grey level.

    PIL wants an (H, W, 3) uint8 array on the CPU; the tensor is (3, H, W).
    """
    raise NotImplementedError
