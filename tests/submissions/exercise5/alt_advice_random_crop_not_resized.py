# expect: passed
# mistake_random_crop.py with the diagnosis of random_crop_not_resized applied literally
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
    x = ((t * 0.5 + 0.5) * 255).round().clamp(0, 255).byte()
    return Image.fromarray(x.permute(1, 2, 0).cpu().numpy())
