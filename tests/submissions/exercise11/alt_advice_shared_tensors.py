# expect: passed
# mistake_shared_tensors.py with the diagnosis of shared_tensors applied literally
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
    with torch.no_grad():
        for p_src, p_dst in zip(src.parameters(), dst.parameters()):
            p_dst.copy_(p_src)
        for b_src, b_dst in zip(src.buffers(), dst.buffers()):
            b_dst.copy_(b_src)
