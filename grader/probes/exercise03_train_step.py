"""Probes for exercise 3: train a small model with the learner's code and report what happened.

A model, loss and SGD optimizer cannot travel, so each probe builds them here from a recipe
(architecture name, sizes, a state_dict of tensors, loss name, lr, momentum) and returns
evidence: the parameters after every step, the returned values, the order of calls.
"""

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get

ARCHS: dict[str, Callable[[int, int, int], nn.Module]] = {
    "linear": lambda i, h, o: nn.Linear(i, o),
    "mlp": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.Tanh(), nn.Linear(h, o)),
    "bn_mlp": lambda i, h, o: nn.Sequential(
        nn.Linear(i, h), nn.BatchNorm1d(h), nn.Tanh(), nn.Linear(h, o)
    ),
}
LOSSES: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "cross_entropy": nn.CrossEntropyLoss,
}


def _build(recipe: dict, device: str) -> tuple[nn.Module, nn.Module, torch.optim.SGD]:
    """The model (float64, weights from the recipe's state_dict), loss and SGD optimizer."""
    model = ARCHS[recipe["arch"]](*recipe["sizes"]).double()
    model.load_state_dict(recipe["state"])
    model.to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"])
    return model, LOSSES[recipe["loss"]](), optimizer


def _record_calls(model: nn.Module, optimizer: torch.optim.Optimizer, events: list) -> None:
    """Append "zero_grad", "forward", "backward" and "step" to `events` as they happen."""

    def logged(name: str, method: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            """The method, noted in `events` first."""
            events.append(name)
            return method(*args, **kwargs)

        return wrapper

    # Patched on these instances only, shadowing the class's methods: what mypy forbids by default.
    optimizer.zero_grad = logged("zero_grad", optimizer.zero_grad)  # type: ignore[method-assign]
    optimizer.step = logged("step", optimizer.step)  # type: ignore[method-assign]
    model.zero_grad = logged("zero_grad", model.zero_grad)  # type: ignore[method-assign]
    model.register_forward_pre_hook(lambda module, args: events.append("forward"))

    def on_gradient(grad: torch.Tensor) -> None:
        """Note a backward pass once, although it reaches every parameter."""
        if not events or events[-1] != "backward":
            events.append("backward")

    for p in model.parameters():
        p.register_hook(on_gradient)


def _number(value: Any) -> Any:
    """A float result as a plain float (NumPy's float64 is a float too); anything else as is."""
    return float(value) if isinstance(value, float) else value


def probe_train_step(
    module: Any, recipe: dict, batches: list, device: str, stale: dict | None = None
) -> list[dict]:
    """Call train_step once per batch; after each call, the parameters, gradients and calls.

    `stale`: gradients put into `.grad` before the first call (left from earlier work).
    """
    model, loss_fn, optimizer = _build(recipe, device)
    events: list[str] = []
    _record_calls(model, optimizer, events)
    if stale is not None:
        for name, p in model.named_parameters():
            p.grad = stale[name].to(device).clone()
    train_step = get(module, "train_step")
    steps = []
    for inputs, targets in batches:
        events.clear()
        out = train_step(model, loss_fn, optimizer, inputs.to(device), targets.to(device))
        steps.append(
            {
                "loss": _number(out),
                "params": {n: p.detach().clone() for n, p in model.named_parameters()},
                "grads": {
                    n: None if p.grad is None else p.grad.detach().clone()
                    for n, p in model.named_parameters()
                },
                "events": list(events),
            }
        )
    return steps


def _correct_step(sizes: list) -> Callable:
    """A correct train_step that notes each batch size (stands in for the learner's own)."""

    def train_step(model, loss_fn, optimizer, inputs, targets):
        """Clear, forward, loss, backward, update; the loss as a float."""
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        sizes.append(int(inputs.shape[0]))
        return loss.item()

    return train_step


def probe_train_epoch(
    module: Any, recipe: dict, batches: list, device: str, loader: str, mode: str
) -> dict:
    """Call train_epoch on a model in `mode` ("train"/"eval") over `batches`.

    `loader`: "list" passes the batches as a list of pairs, "dataloader" as a DataLoader over
    the same examples with the first batch's size. The learner's train_step is replaced by a
    correct one for the call, so that this probe sees train_epoch alone. Reports the returned
    value, the model's state_dict afterwards, whether every submodule was in training mode at
    each forward pass, and the batch sizes trained on.
    """
    model, loss_fn, optimizer = _build(recipe, device)
    model.train(mode == "train")
    modes: list[bool] = []
    model.register_forward_pre_hook(
        lambda _module, args: modes.append(all(m.training for m in model.modules()))
    )
    pairs = [(x.to(device), y.to(device)) for x, y in batches]
    data: Iterable[Any]
    if loader == "dataloader":
        dataset = TensorDataset(torch.cat([x for x, _ in pairs]), torch.cat([y for _, y in pairs]))
        data = DataLoader(dataset, batch_size=len(pairs[0][0]), shuffle=False)
    else:
        data = pairs
    train_epoch = get(module, "train_epoch")
    sizes: list[int] = []
    original = getattr(module, "train_step", None)
    module.train_step = _correct_step(sizes)
    try:
        out = train_epoch(model, loss_fn, optimizer, data)
    finally:
        module.train_step = original
    return {
        "value": _number(out),
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "modes": modes,
        "sizes": sizes,
    }
