"""Recipes for exercise 8: the models and losses data_parallel_grads is tried on.

Models and losses cannot travel to the worker: both sides build them from a recipe (layer
sizes, an activation name, a state_dict of tensors, a loss name) with the builders below, so
both sides build the very same model.
"""

from torch import nn

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
LOSSES = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "smooth_l1": nn.SmoothL1Loss,
    "cross_entropy": nn.CrossEntropyLoss,
}


def build_model(sizes: list[int], activation: str, state: dict | None = None) -> nn.Sequential:
    """Linear layers of `sizes` with `activation` between them, loaded with `state` if given."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(fan_in, fan_out))
    model = nn.Sequential(*layers)
    if state is not None:
        model.load_state_dict(state)
    return model
