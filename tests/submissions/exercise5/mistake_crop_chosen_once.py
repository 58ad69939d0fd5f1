# expect: failed mistake=same_crop_every_call
import torch
import torchvision.transforms as T
from PIL import Image

MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]


def eval_transform(size=224):
    return T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize(MEAN, STD)])


def train_transform(size=224):
    scale = float(torch.empty(1).uniform_(0.08, 1.0))
    finish = T.Compose([T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])

    def transform(img):
        # one random zoom chosen when the transform is built, the same for every call
        w, h = img.size
        cw, ch = max(1, round(w * scale**0.5)), max(1, round(h * scale**0.5))
        img = img.crop(((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch))
        return finish(img.resize((size, size), Image.BILINEAR))

    return transform


def pad_to_square(img, fill=0):
    w, h = img.size
    side = max(w, h)
    out = Image.new("RGB", (side, side), (fill, fill, fill))
    out.paste(img, ((side - w) // 2, (side - h) // 2))
    return out


def to_image(t):
    x = ((t * 0.5 + 0.5) * 255).round().clamp(0, 255).byte()
    return Image.fromarray(x.permute(1, 2, 0).cpu().numpy())
