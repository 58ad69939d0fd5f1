# expect: passed
# mistake_load_state_dict.py with the diagnosis of load_state_dict_names applied literally
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
    dst.load_state_dict(OrderedDict(zip(dst.state_dict().keys(), src.state_dict().values())))
