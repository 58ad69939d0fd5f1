# expect: passed
import torch
import torchvision.transforms.functional as TF
from torchvision.transforms import v2
from PIL import Image


def eval_transform(size=224):
    return v2.Compose(
        [
            v2.Resize(size),
            v2.CenterCrop(size),
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize([0.5] * 3, [0.5] * 3),
        ]
    )


def train_transform(size=224):
    return v2.Compose(
        [
            v2.ToImage(),
            v2.RandomResizedCrop(size, antialias=True),
            v2.RandomHorizontalFlip(p=0.5),
            v2.ToDtype(torch.float32, scale=True),
            v2.Normalize(mean=[0.5] * 3, std=[0.5] * 3),
        ]
    )


def pad_to_square(img, fill=0):
    width, height = img.size
    side = max(width, height)
    left, top = (side - width) // 2, (side - height) // 2
    right, bottom = side - width - left, side - height - top
    return TF.pad(img, [left, top, right, bottom], fill=fill)


def to_image(t):
    return TF.to_pil_image(t.detach().cpu() * 0.5 + 0.5)
