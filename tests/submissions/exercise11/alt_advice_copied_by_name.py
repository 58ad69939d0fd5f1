# expect: passed
# mistake_copy_by_name.py with the diagnosis of copied_by_name applied literally
from collections import OrderedDict

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
    for value, target in zip(src.state_dict().values(), dst.state_dict().values()):
        target.copy_(value)
