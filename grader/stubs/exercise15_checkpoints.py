"""Exercise 15 · Saving and loading checkpoints.

A training run that stops (a crash, a time limit, the end of the day) should continue exactly
where it was. What has to be kept is not "the model" as a Python object but its *state*:

* `model.state_dict()`: an ordered dict from names such as "0.weight" or "1.running_mean" to
  tensors: every parameter and every buffer (BatchNorm's running statistics are buffers).
* `optimizer.state_dict()`: the optimizer's own state (SGD's momentum buffers, Adam's moving
  averages, a step count) and its parameter groups (learning rates...). Without it, a resumed
  run restarts momentum from zero and no longer follows the run that never stopped.
* where you were: the epoch (and anything else your loop needs, such as a scheduler's state).

`torch.save(obj, path)` pickles `obj`. Saving the whole module (`torch.save(model, path)`)
stores a reference to its class, so the file only loads where that class can be imported under
the same name; state dicts hold only tensors and plain values, and load anywhere.

Loading has three traps:

* **Devices.** Every tensor in the file remembers the device it was saved from. A checkpoint
  written on a GPU cannot be loaded on a CPU-only machine as it is: torch raises
  `RuntimeError: Attempting to deserialize object on a CUDA device but torch.cuda.is_available()
  is False. If you are running on a CPU-only machine, please use torch.load with
  map_location=torch.device('cpu') to map your storages to the CPU.` `map_location` says where
  the tensors should go instead.
* **Untrusted files.** Unpickling can run any code the file names. `torch.load(...,
  weights_only=True)` accepts only tensors, containers and plain values, and refuses anything
  else with `UnpicklingError: Weights only load failed`. It is the default since torch 2.6;
  older versions defaulted to False, so say it explicitly.
* **`nn.DataParallel`.** The wrapper keeps your network as its submodule `module`, so the keys of
  its state dict all start with "module." ("module.0.weight"), and a plain model refuses them:
  `Missing key(s) in state_dict: "0.weight", ... Unexpected key(s) in state_dict:
  "module.0.weight", ...`. Save the inner module (`wrapped.module`), or rename the keys of a
  file someone else saved.

`model.load_state_dict(state)` copies the values into the model's existing tensors, wherever
they are, and by default (`strict=True`) raises if any key is missing or unexpected: a silent
partial load would leave layers at their random initial values.

Run `grade exercise15` to check your work, `grade hint exercise15` when stuck.
"""

import torch
from torch import nn


def save_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, path) -> None:
    """Write one checkpoint file at `path` (a `str` or an `os.PathLike` such as a `pathlib.Path`).

    The file holds one dict with exactly these keys:

    * "model_state_dict": the model's state dict. A model wrapped in `nn.DataParallel` is saved
      as its inner module, so the keys carry no "module." prefix and the file loads into a
      plain, unwrapped model;
    * "optimizer_state_dict": the optimizer's state dict;
    * "epoch": `epoch`, an int.

    Only tensors and plain Python values are stored (no module or optimizer objects), so the file
    loads with `torch.load(path, weights_only=True)`. Returns None.
    """
    raise NotImplementedError


def load_checkpoint(model: nn.Module, optimizer: torch.optim.Optimizer, path, device="cpu") -> int:
    """Restore `model` and `optimizer` from a file written by save_checkpoint; return its epoch.

    Load the file with its tensors mapped to `device` (so a checkpoint written on a GPU loads on
    a machine without one) and with `weights_only=True` (a file that holds anything else is
    refused: let that error reach the caller). Restore the model strictly (every key must
    match; a mismatch raises) and the optimizer, so that training resumed from here continues
    exactly as if it had never stopped. Returns the saved epoch (an int).
    """
    raise NotImplementedError


def strip_module_prefix(state_dict: dict) -> dict:
    """A new dict whose keys lose one leading "module." (as `nn.DataParallel` adds).

    "module.fc.weight" becomes "fc.weight"; a key without that prefix is kept as it is;
    "module." elsewhere in a key is untouched ("encoder.module.bias" stays), and only one
    leading prefix goes ("module.module.x" becomes "module.x"). The values are the same tensor
    objects (not copies), in the same order; `state_dict` itself is left unchanged.
    """
    raise NotImplementedError
