"""Probes for exercise 15: saving and loading checkpoints, and the `module.` prefix.

The training recipe (`build_setup`, `train`, in `grader.recipes.exercise15_checkpoints`) is
shared with the checks, which train without interruption in the trusted process and compare.
Files are written in a fresh folder of the worker's private temporary directory. A checkpoint
"written on a GPU" is emulated on any machine: its storages are tagged `cuda:0` exactly as torch
tags them on a GPU, and CUDA is reported as unavailable while the learner's code loads it.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import Any

import torch
import torch.serialization
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.recipes.exercise15_checkpoints import KEYS, build_setup, final_state, train


@contextlib.contextmanager
def _folder() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="checkpoint-") as folder:
        yield folder


@contextlib.contextmanager
def _tagged_cuda() -> Iterator[None]:
    """torch.save tags every storage `cuda:0`, as it does for tensors on a GPU."""
    entry = (0, lambda obj: "cuda:0", lambda obj, location: None)
    torch.serialization._package_registry.insert(0, entry)
    try:
        yield
    finally:
        torch.serialization._package_registry.remove(entry)


@contextlib.contextmanager
def _cpu_only_machine() -> Iterator[None]:
    """torch.cuda.is_available() answers False, as on a machine without a GPU."""
    real = torch.cuda.is_available
    torch.cuda.is_available = lambda: False
    try:
        yield
    finally:
        torch.cuda.is_available = real


def _restore(model: nn.Module, optimizer: torch.optim.Optimizer, entry: Any) -> None:
    """What a correct load does with a checkpoint dict: the grader's own restore."""
    nn.Module.load_state_dict(model, entry["model_state_dict"])
    optimizer.load_state_dict(entry["optimizer_state_dict"])


def _error(exc: BaseException) -> dict:
    return {"type": type(exc).__name__, "message": str(exc)[:600]}


def probe_save(
    module: Any,
    seed: int,
    kind: str,
    before: int,
    after: int,
    epoch: int,
    wrap: bool,
    as_path: bool,
    device: str,
    resume: bool = True,
) -> dict:
    """Train, save with the learner's save_checkpoint, then read the file back as a grader would.

    Returns the files written, the top-level keys, the model keys and the epoch found, and the
    state after resuming from the file (with torch's own loading) and training `after` steps.
    """
    model, optimizer = build_setup(seed, kind, device)
    train(model, optimizer, seed, 0, before)
    saved = nn.DataParallel(model) if wrap else model
    facts: dict = {"files": [], "error": None, "keys": None, "model_keys": None, "epoch": None}
    with _folder() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        get(module, "save_checkpoint")(
            saved, optimizer, epoch, pathlib.Path(path) if as_path else path
        )
        facts["files"] = sorted(os.listdir(folder))
        if not os.path.isfile(path):
            return facts
        try:
            entry = torch.load(path, map_location=device, weights_only=True)
        except Exception as exc:  # the file itself is the evidence
            facts["error"] = _error(exc)
            return facts
    if not isinstance(entry, dict):
        facts["keys"] = f"<a {type(entry).__name__}, not a dict>"
        return facts
    facts["keys"] = [str(k) for k in entry]
    state = entry.get("model_state_dict")
    if isinstance(state, dict):
        facts["model_keys"] = [str(k) for k in state]
    value = entry.get("epoch")
    facts["epoch"] = (
        value if type(value) in (int, float, str, bool) or value is None else repr(value)
    )
    if any(k not in entry for k in KEYS) or not resume:
        return facts
    fresh, fresh_optimizer = build_setup(seed + 1, kind, device)
    try:
        _restore(fresh, fresh_optimizer, entry)
    except Exception as exc:
        facts["error"] = _error(exc)
        return facts
    train(fresh, fresh_optimizer, seed, before, after)
    facts["resumed"] = final_state(fresh)
    return facts


def _write(
    path: str, seed: int, kind: str, before: int, epoch: Any, device: str, cuda_tags: bool
) -> None:
    """A correct checkpoint after `before` steps, written by the grader."""
    model, optimizer = build_setup(seed, kind, device)
    train(model, optimizer, seed, 0, before)
    entry = {
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "epoch": epoch,
    }
    with _tagged_cuda() if cuda_tags else contextlib.nullcontext():
        torch.save(entry, path)


def probe_load(
    module: Any,
    seed: int,
    kind: str,
    before: int,
    after: int,
    epoch: int,
    device: str,
    gpu_file: bool,
) -> dict:
    """Load a grader-written checkpoint with the learner's load_checkpoint, then train on.

    `gpu_file`: the file is tagged as written on a GPU and the learner's code runs as on a
    CPU-only machine, with `device` left at its default.
    """
    model, optimizer = build_setup(seed + 1, kind, "cpu" if gpu_file else device)
    load = get(module, "load_checkpoint")
    with _folder() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        _write(path, seed, kind, before, epoch, "cpu" if gpu_file else device, gpu_file)
        if gpu_file:
            with _cpu_only_machine():
                returned = load(model, optimizer, path)
        else:
            returned = load(model, optimizer, path, device=device)
    facts = {
        "returned": returned
        if type(returned) in (int, float, str, bool) or returned is None
        else repr(returned),
        "returned_type": type(returned).__name__,
        "loaded": final_state(model),
        "optimizer_state": len(optimizer.state),
    }
    train(model, optimizer, seed, before, after)
    facts["resumed"] = final_state(model)
    return facts


TRIPPED: list[bool] = []


def tripwire() -> int:
    """Runs only if a checkpoint is unpickled with weights_only=False."""
    TRIPPED.append(True)
    return 1


class Tripwire:
    """An object whose unpickling calls `tripwire`: what a malicious checkpoint could hold."""

    def __reduce__(self) -> tuple:
        return (tripwire, ())


def probe_untrusted(module: Any, seed: int) -> dict:
    """Load a checkpoint that holds code to run: is it refused before anything runs?"""
    TRIPPED.clear()
    model, optimizer = build_setup(seed + 1, "sgd")
    with _folder() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        _write(path, seed, "sgd", 1, Tripwire(), "cpu", False)
        try:
            returned = get(module, "load_checkpoint")(model, optimizer, path, device="cpu")
        except Exception as exc:
            return {"ran_code": bool(TRIPPED), "raised": _error(exc), "returned": None}
    return {"ran_code": bool(TRIPPED), "raised": None, "returned": repr(returned)[:200]}


def probe_strict(module: Any, seed: int) -> dict:
    """Load a checkpoint that lacks the last layer's weights: is the mismatch refused?"""
    model, optimizer = build_setup(seed + 1, "sgd")
    with _folder() as folder:
        path = os.path.join(folder, "checkpoint.pt")
        trained, _ = build_setup(seed, "sgd")
        state = {k: v for k, v in trained.state_dict().items() if not k.startswith("3.")}
        entry = {"model_state_dict": state, "optimizer_state_dict": optimizer.state_dict()}
        torch.save({**entry, "epoch": 3}, path)
        try:
            get(module, "load_checkpoint")(model, optimizer, path, device="cpu")
        except Exception as exc:
            return {"raised": _error(exc)}
    return {"raised": None}


def probe_strip(module: Any, keys: list[str], values: list[torch.Tensor]) -> dict:
    """Call strip_module_prefix on an ordered dict of `keys` -> `values`; what came back."""
    state = dict(zip(keys, values, strict=True))
    before = list(state.items())
    out = get(module, "strip_module_prefix")(state)
    facts: dict = {
        "is_dict": isinstance(out, dict),
        "type": type(out).__name__,
        "input_unchanged": list(state.keys()) == keys and all(state[k] is v for k, v in before),
        "new_object": out is not state,
    }
    if isinstance(out, dict):
        facts["keys"] = [k if isinstance(k, str) else repr(k) for k in out]
        ids = {id(v): i for i, v in enumerate(values)}
        facts["value_index"] = [ids.get(id(v), -1) for v in out.values()]
    return facts
