"""Probes for exercise 5: the learner's transforms applied to images built here.

PIL images cannot travel: checks send uint8 (H, W, 3) tensors, the probes turn them into RGB
images, and PIL results come back as a uint8 (H, W, C) tensor with their mode and size.
"""

from typing import Any

import numpy as np
import torch
from PIL import Image

from grader.probes.common import *  # noqa: F403
from grader.probes.common import emulated_cuda, get


def _image(pixels: torch.Tensor) -> Image.Image:
    """An RGB PIL image of uint8 (H, W, 3) pixels."""
    return Image.fromarray(pixels.contiguous().numpy())


def _image_facts(img: Any) -> dict:
    """A returned PIL image as plain data: its pixels, mode and (width, height)."""
    if not isinstance(img, Image.Image):
        return {"is_image": False, "type": f"{type(img).__module__}.{type(img).__qualname__}"}
    return {
        "is_image": True,
        "mode": img.mode,
        "size": tuple(img.size),
        "pixels": torch.from_numpy(np.array(img)).clone(),
    }


def _plain(value: Any) -> Any:
    """A torchvision tv_tensors.Image (a Tensor subclass from transforms.v2) as a plain tensor."""
    if isinstance(value, torch.Tensor) and type(value).__module__.startswith(
        "torchvision.tv_tensors"
    ):
        return value.as_subclass(torch.Tensor)
    return value


def _shape(value: Any) -> Any:
    """The shape of a tensor result, or the type name of anything else."""
    if type(value) is torch.Tensor:
        return tuple(value.shape)
    return f"{type(value).__module__}.{type(value).__qualname__}"


def probe_eval_transform(module: Any, pixels: torch.Tensor, size: int) -> Any:
    """eval_transform(size) applied to the image."""
    return _plain(get(module, "eval_transform")(size)(_image(pixels)))


def probe_train_transform(
    module: Any, pixels: torch.Tensor, size: int, seed: int, calls: int, repeat: bool
) -> dict:
    """`calls` outputs of one train_transform(size) after torch.manual_seed(seed), twice if asked.

    The second run seeds, builds and calls again, so equal runs mean reproducible randomness.
    """
    img = _image(pixels)
    runs = []
    for _ in range(2 if repeat else 1):
        torch.manual_seed(seed)
        transform = get(module, "train_transform")(size)
        runs.append([_plain(transform(img)) for _ in range(calls)])
    return {"first": runs[0], "second": runs[1] if repeat else None}


def probe_pad_to_square(module: Any, pixels: torch.Tensor, fill: int | None) -> dict:
    """pad_to_square(img, fill) (without fill when it is None), and whether img was kept."""
    img = _image(pixels)
    pad = get(module, "pad_to_square")
    out = pad(img) if fill is None else pad(img, fill)
    facts = _image_facts(out)
    facts["input_kept"] = bool(np.array_equal(np.array(img), pixels.numpy()))
    return facts


def probe_to_image(module: Any, t: torch.Tensor, device: str) -> dict:
    """to_image(t) for t on `device`."""
    return _image_facts(get(module, "to_image")(t.to(device)))


def probe_to_image_emulated(module: Any, t: torch.Tensor) -> dict:
    """to_image(t) for t on an emulated GPU: NumPy and PIL refuse it until it is on the CPU."""
    return _image_facts(get(module, "to_image")(emulated_cuda(t)))


def probe_defaults(module: Any, pixels: torch.Tensor) -> dict:
    """Output shapes of the transforms built without a size."""
    img = _image(pixels)
    torch.manual_seed(0)
    return {
        "eval": _shape(_plain(get(module, "eval_transform")()(img))),
        "train": _shape(_plain(get(module, "train_transform")()(img))),
    }
