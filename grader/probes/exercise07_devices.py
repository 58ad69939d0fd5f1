"""Probes for exercise 7: structures built here from recipes, moved, and described as plain data.

A recipe is plain data naming one node: {"t": tensor}, {"v": number/str/None}, {"marker": n}
(an ordinary object), {"list": [...]}, {"tuple": [...]}, {"dict": {key: ...}}, or a namedtuple
defined below, {"Pair": [x, y]} / {"Batch": [inputs, targets, lengths]}. Namedtuples cannot
travel over the wire, so they are built here and described back as type names.
"""

from collections import namedtuple
from typing import Any, NamedTuple

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get

Pair = namedtuple("Pair", ["x", "y"])


class Batch(NamedTuple):
    """A typing.NamedTuple, the other way to declare one."""

    inputs: Any
    targets: Any
    lengths: Any


NAMEDTUPLES = {"Pair": Pair, "Batch": Batch}
MAX_DEPTH = 30


class Marker:
    """An ordinary object without a device: to_device must hand it back as is."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __repr__(self) -> str:
        return f"Marker({self.n})"


def build(recipe: dict) -> Any:
    """The Python structure a recipe describes (tensors as they arrived, on the CPU)."""
    ((kind, body),) = recipe.items()
    if kind in ("t", "v"):
        return body
    if kind == "marker":
        return Marker(body)
    if kind == "list":
        return [build(r) for r in body]
    if kind == "tuple":
        return tuple(build(r) for r in body)
    if kind == "dict":
        return {key: build(r) for key, r in body.items()}
    return NAMEDTUPLES[kind](*(build(r) for r in body))


def kind_of(value: Any) -> str:
    """A node's kind: tensor, list, tuple, dict, a namedtuple's name, or its type's name."""
    if isinstance(value, torch.Tensor):
        return "tensor"
    kind = type(value)
    if kind in NAMEDTUPLES.values():
        return kind.__name__
    if kind.__module__ == __name__:
        # Shipped or private copy, these probes load under different module names.
        return f"probes.{kind.__qualname__}"
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _children(value: Any) -> tuple[list[str], list[Any]] | None:
    """Keys and elements of a container node, or None for a leaf."""
    if isinstance(value, dict):
        return [str(k) for k in value], list(value.values())
    if isinstance(value, (list, tuple)):
        return [str(i) for i in range(len(value))], list(value)
    return None


def describe(out: Any, given: Any, depth: int = 0) -> dict:
    """`out` as plain data, walked beside the input node `given` it came from (or None)."""
    facts: dict = {"kind": kind_of(out), "same": out is given}
    if depth > MAX_DEPTH:
        facts["kind"] = "too deep"
        return facts
    if isinstance(out, torch.Tensor):
        facts["device"] = out.device.type
        facts["dtype"] = str(out.dtype).removeprefix("torch.")
        facts["shape"] = list(out.shape)
        facts["value"] = None if out.device.type == "meta" else out.detach().cpu().clone()
        return facts
    parts = _children(out)
    if parts is None:
        facts["repr"] = repr(out)[:200]
        return facts
    keys, items = parts
    # Walk on beside the input even when the container's type changed (tuple -> list).
    given_parts = _children(given)
    given_map = dict(zip(*given_parts, strict=True)) if given_parts else {}
    facts["keys"] = keys
    facts["items"] = [
        describe(o, given_map.get(k), depth + 1) for k, o in zip(keys, items, strict=True)
    ]
    return facts


def snapshot(value: Any, path: str, records: list) -> list:
    """Every list, dict and tensor of an input with its state now, to compare after a call."""
    if isinstance(value, torch.Tensor):
        copy = value.detach().clone() if value.device.type != "meta" else None
        records.append((path, value, (value.device.type, value.dtype, value.shape), copy))
    elif isinstance(value, dict):
        records.append((path, value, list(value.items()), None))
        for key, item in value.items():
            snapshot(item, f"{path}[{key!r}]", records)
    elif isinstance(value, (list, tuple)):
        if type(value) is list:
            records.append((path, value, list(value), None))
        fields = getattr(value, "_fields", None)
        for i, item in enumerate(value):
            snapshot(item, f"{path}.{fields[i]}" if fields else f"{path}[{i}]", records)
    return records


def mutations(records: list) -> list[dict]:
    """What changed in place since `snapshot`: {"path", "change", ...} (worded by the check)."""
    changed: list[dict] = []
    for path, node, state, copy in records:
        if isinstance(node, torch.Tensor):
            now = (node.device.type, node.dtype, node.shape)
            if now != state:
                changed.append(
                    {
                        "path": path,
                        "change": "tensor",
                        "dtype": str(now[1]),
                        "shape": str(tuple(now[2])),
                        "device": now[0],
                    }
                )
            elif copy is not None and not torch.equal(node.detach(), copy):
                changed.append({"path": path, "change": "values"})
        else:
            if isinstance(node, dict):
                items = list(node.items())
                same = [a[0] == b[0] and a[1] is b[1] for a, b in zip(items, state, strict=False)]
            else:
                items = list(node)
                same = [a is b for a, b in zip(items, state, strict=False)]
            if len(items) != len(state) or not all(same):
                changed.append({"path": path, "change": "elements"})
    return changed


def probe_pick_device(module: Any) -> dict:
    """What pick_device returned, and whether this worker can use CUDA at all."""
    out = get(module, "pick_device")()
    facts: dict[str, Any] = {"kind": kind_of(out), "repr": repr(out)[:100], "device": None}
    if isinstance(out, torch.device):
        facts["device"] = out.type
    elif isinstance(out, str):
        try:
            facts["device"] = torch.device(out).type
        except (RuntimeError, ValueError):
            pass
    facts["cuda_available"] = torch.cuda.is_available()
    return facts


def probe_to_device(module: Any, recipe: dict, device: str, as_string: bool = False) -> dict:
    """to_device on a structure built from `recipe`: its result and any change to the input."""
    obj = build(recipe)
    records = snapshot(obj, "obj", [])
    target = device if as_string else torch.device(device)
    out = get(module, "to_device")(obj, target)
    return {"out": describe(out, obj), "mutations": mutations(records)}


def probe_prepare(module: Any, sizes: list[int], recipe: dict, device: str) -> dict:
    """prepare on a small model with buffers (BatchNorm) and a batch built from `recipe`."""
    torch.manual_seed(0)
    inputs, hidden, outputs = sizes
    model = nn.Sequential(
        nn.Linear(inputs, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, outputs)
    )
    batch = build(recipe)
    records = snapshot(batch, "batch", [])
    result = get(module, "prepare")(model, batch, torch.device(device))
    if type(result) is not tuple or len(result) != 2:
        return {"pair": False, "kind": kind_of(result), "repr": repr(result)[:200]}
    moved, moved_batch = result
    facts: dict = {"pair": True, "is_module": isinstance(moved, nn.Module)}
    if facts["is_module"]:
        facts["parameters"] = {n: p.device.type for n, p in moved.named_parameters()}
        facts["buffers"] = {n: b.device.type for n, b in moved.named_buffers()}
    else:
        facts["kind"] = kind_of(moved)
    facts["batch"] = describe(moved_batch, batch)
    facts["mutations"] = mutations(records)
    return facts
