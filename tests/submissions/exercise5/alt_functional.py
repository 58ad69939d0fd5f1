# expect: passed
import torch
import torchvision.transforms.functional as TF
from PIL import Image, ImageOps

MEAN = (0.5, 0.5, 0.5)
STD = (0.5, 0.5, 0.5)


def eval_transform(size=224):
    return lambda img: TF.normalize(
        TF.to_tensor(TF.center_crop(TF.resize(img, size), [size, size])), MEAN, STD
    )


def train_transform(size=224):
    from torchvision import transforms

    crop = transforms.RandomResizedCrop((size, size), scale=(0.08, 1.0))

    def apply(img):
        img = crop(img)
        if torch.rand(1).item() < 0.5:
            img = TF.hflip(img)
        return TF.normalize(TF.to_tensor(img), MEAN, STD)

    return apply


def pad_to_square(img, fill=0):
    w, h = img.size
    if w == h:
        return img.copy()
    side = max(w, h)
    dw, dh = side - w, side - h
    return ImageOps.expand(img, border=(dw // 2, dh // 2, dw - dw // 2, dh - dh // 2), fill=(fill,) * 3)


def to_image(t):
    arr = t.mul(0.5).add(0.5).mul(255).clamp(0, 255).round().to(torch.uint8)
    return Image.fromarray(arr.cpu().permute(1, 2, 0).contiguous().numpy(), mode=None)
