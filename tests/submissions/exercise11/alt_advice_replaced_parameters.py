# expect: passed
# mistake_replaced_parameters.py with the diagnosis of replaced_parameters applied literally
from collections import OrderedDict

import torch
from torch import nn


def with_add_module():
    seq = nn.Sequential()
    seq.add_module("conv", nn.Conv2d(3, 3, 3))
    seq.add_module("batchnorm", nn.BatchNorm2d(3))
    seq.add_module("activation_layer", nn.ReLU())
    return seq


def with_positional():
    return nn.Sequential(nn.Conv2d(3, 3, 3), nn.BatchNorm2d(3), nn.ReLU())


def with_ordered_dict():
    layers = OrderedDict()
    layers["conv1"] = nn.Conv2d(3, 3, 3)
    layers["bn1"] = nn.BatchNorm2d(3)
    layers["relu1"] = nn.ReLU()
    return nn.Sequential(layers)


def copy_weights(src, dst):
    for a, b in zip(src, dst):
        for name, p in a.named_parameters(recurse=False):
            with torch.no_grad():
                getattr(b, name).copy_(p)
        for name, buf in a.named_buffers(recurse=False):
            setattr(b, name, buf.clone())
