# expect: passed
# mistake_to_pil_directly.py with the diagnosis of not_unnormalized applied literally
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
    side = max(w, h)
    out = Image.new("RGB", (side, side), (fill, fill, fill))
    out.paste(img, ((side - w) // 2, (side - h) // 2))
    return out


def to_image(t):
    return T.ToPILImage()(t.cpu() * 0.5 + 0.5)
