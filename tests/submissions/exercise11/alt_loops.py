# expect: passed
import collections

import torch.nn as nn


def _layers():
    return [
        nn.Conv2d(in_channels=3, out_channels=3, kernel_size=(3, 3)),
        nn.BatchNorm2d(3),
        nn.ReLU(),
    ]


def with_add_module():
    model = nn.Sequential()
    for name, layer in zip(["conv", "batchnorm", "activation_layer"], _layers()):
        model.add_module(name, layer)
    return model


def with_positional():
    return nn.Sequential(*_layers())


def with_ordered_dict():
    return nn.Sequential(collections.OrderedDict(zip(["conv1", "bn1", "relu1"], _layers())))


def copy_weights(src, dst):
    # layer by layer: each pair of layers has the same local names (weight, bias, running_mean...)
    for a, b in zip(src.children(), dst.children()):
        b.load_state_dict(a.state_dict())
