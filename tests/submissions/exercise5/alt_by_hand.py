# expect: passed
import numpy as np
import torch
from PIL import Image


def _normalize(img):
    a = np.asarray(img, dtype=np.float32) / np.float32(255)
    a = (a - np.float32(0.5)) / np.float32(0.5)
    return torch.from_numpy(a.transpose(2, 0, 1).copy())


def eval_transform(size=224):
    def transform(img):
        w, h = img.size
        if w <= h:
            new_w, new_h = size, int(size * h / w)
        else:
            new_w, new_h = int(size * w / h), size
        img = img.resize((new_w, new_h), Image.BILINEAR)
        top = int(round((new_h - size) / 2.0))
        left = int(round((new_w - size) / 2.0))
        return _normalize(img.crop((left, top, left + size, top + size)))

    return transform


class TrainTransform:
    def __init__(self, size):
        self.size = size

    def __call__(self, img):
        w, h = img.size
        for _ in range(10):
            area = w * h * float(torch.empty(1).uniform_(0.08, 1.0))
            ratio = float(torch.empty(1).uniform_(np.log(3 / 4), np.log(4 / 3)).exp())
            cw = int(round((area * ratio) ** 0.5))
            ch = int(round((area / ratio) ** 0.5))
            if 0 < cw <= w and 0 < ch <= h:
                left = int(torch.randint(0, w - cw + 1, ()))
                top = int(torch.randint(0, h - ch + 1, ()))
                break
        else:
            cw, ch, left, top = w, h, 0, 0
        img = img.resize((self.size, self.size), Image.BILINEAR, box=(left, top, left + cw, top + ch))
        if torch.rand(()) < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return _normalize(img)


def train_transform(size=224):
    return TrainTransform(size)


def pad_to_square(img, fill=0):
    a = np.asarray(img)
    h, w = a.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    a = np.pad(
        a,
        ((top, side - h - top), (left, side - w - left), (0, 0)),
        constant_values=fill,
    )
    return Image.fromarray(a)


def to_image(t):
    x = t.detach().to("cpu", torch.float64)
    x = torch.clamp((x + 1) * 127.5 + 0.5, 0, 255).floor().to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(x.numpy().transpose(1, 2, 0)), "RGB")
