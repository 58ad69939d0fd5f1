# expect: failed
# Looks through the calling frames for an expected answer to copy.
import inspect

import torch


def _steal():
    for frame_info in inspect.stack():
        for name, value in frame_info.frame.f_locals.items():
            if name in ("expected", "want", "reference", "answer") and isinstance(value, torch.Tensor):
                return value
    return torch.zeros(0)


def add_batch_dim(image):
    return _steal()


def remove_batch_dim(batch):
    return _steal()
