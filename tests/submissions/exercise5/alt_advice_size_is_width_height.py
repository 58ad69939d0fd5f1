# expect: passed
# mistake_pad_size_swapped.py with the diagnosis of size_is_width_height applied literally
import torchvision.transforms.functional as TF
import torch
import torchvision.transforms as T
from PIL import Image

MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]


def eval_transform(size=224):
    return T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize(MEAN, STD)])


def train_transform(size=224):
    return T.Compose(
        [T.RandomResizedCrop(size), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)]
    )


def pad_to_square(img, fill=0):
    w, h = img.size
    side = max(h, w)
    left, top = (side - w) // 2, (side - h) // 2
    return TF.pad(img, [left, top, side - w - left, side - h - top], fill=fill)


def to_image(t):
    x = ((t * 0.5 + 0.5) * 255).round().clamp(0, 255).byte()
    return Image.fromarray(x.permute(1, 2, 0).cpu().numpy())
