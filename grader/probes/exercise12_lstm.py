"""Probes for exercise 12: SeqClassifier's layers, weights and outputs; lstm_with_cell's result."""

from typing import Any

import torch
from torch import nn

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get
from grader.probes.ops import recording


def _state(layer: nn.Module) -> dict:
    """A layer's own parameters and buffers, as plain tensors."""
    return {name: value.detach().cpu().clone() for name, value in layer.state_dict().items()}


def _layer_facts(layer: nn.Module) -> dict:
    """Kind, configuration and weights of one submodule (only the kinds the exercise names)."""
    kind = type(layer)
    facts: dict[str, Any] = {"type": f"{kind.__module__}.{kind.__qualname__}"}
    if isinstance(layer, nn.Embedding):
        facts.update(
            kind="Embedding",
            num_embeddings=int(layer.num_embeddings),
            embedding_dim=int(layer.embedding_dim),
        )
    elif isinstance(layer, nn.RNNBase):
        facts.update(
            kind=str(layer.mode),
            input_size=int(layer.input_size),
            hidden_size=int(layer.hidden_size),
            num_layers=int(layer.num_layers),
            batch_first=bool(layer.batch_first),
            bidirectional=bool(layer.bidirectional),
            proj_size=int(getattr(layer, "proj_size", 0)),
            bias=bool(layer.bias),
        )
    elif isinstance(layer, nn.Linear):
        facts.update(
            kind="Linear",
            in_features=int(layer.in_features),
            out_features=int(layer.out_features),
            bias=layer.bias is not None,
        )
    else:
        facts["kind"] = "other"
        return facts
    facts["state"] = _state(layer)
    return facts


def probe_seq_classifier(
    module: Any,
    vocab_size: int,
    embed_dim: int,
    hidden_size: int,
    num_classes: int,
    tokens: torch.Tensor | None,
    seed: int,
    device: str,
) -> dict:
    """Build SeqClassifier with a fixed seed; its layers (config and weights) and eval output.

    With `tokens` None the model is only built, not run.
    """
    torch.manual_seed(seed)
    model = get(module, "SeqClassifier")(vocab_size, embed_dim, hidden_size, num_classes)
    facts: dict[str, Any] = {
        "is_module": isinstance(model, nn.Module),
        "layers": [],
        "output": None,
    }
    if not facts["is_module"]:
        return facts
    # Only leaves with parameters of their own matter; containers (Sequential...) are skipped.
    facts["layers"] = [
        _layer_facts(layer)
        for layer in model.modules()
        if layer is not model and any(True for _ in layer.parameters(recurse=False))
    ]
    if tokens is None:
        return facts
    model.to(device)
    model.eval()
    with torch.no_grad():
        out = model(tokens.to(device))
    facts["output"] = out
    facts["device"] = out.device.type if isinstance(out, torch.Tensor) else None
    return facts


def probe_lstm_with_cell(
    module: Any,
    state: dict,
    input_size: int,
    hidden_size: int,
    x: torch.Tensor,
    seed: int,
    device: str,
) -> dict:
    """Call lstm_with_cell on an nn.LSTM rebuilt from `state`; its result and where it lives."""
    # The state says whether the LSTM has biases and its dtype (float64 LSTMs are drawn too).
    lstm = nn.LSTM(
        input_size, hidden_size, bias="bias_ih_l0" in state, dtype=state["weight_ih_l0"].dtype
    )
    lstm.load_state_dict(state)
    lstm.to(device)
    before = _state(lstm)
    x, function = x.to(device), get(module, "lstm_with_cell")
    # Seeded so that a learner's freshly drawn LSTMCell weights are reproducible.
    torch.manual_seed(seed)
    with recording() as ran:  # which kernels ran: the fused LSTM is not allowed here
        result = function(lstm, x)
    devices = []
    pending = [result]
    for _ in range(64):
        if not pending:
            break
        item = pending.pop()
        if isinstance(item, torch.Tensor):
            devices.append(item.device.type)
        elif isinstance(item, (tuple, list)):
            pending.extend(item)
    after = _state(lstm)
    unchanged = before.keys() == after.keys() and all(
        torch.equal(before[k], after[k]) for k in before
    )
    return {
        "result": result,
        "devices": sorted(set(devices)),
        "lstm_unchanged": unchanged,
        "ran": ran,
    }


def probe_lstm_with_cell_meta(
    module: Any, input_size: int, hidden_size: int, steps: int, batch: int, bias: bool
) -> dict:
    """lstm_with_cell on an LSTM and x on the meta device, a stand-in for a GPU: the devices
    and shapes of what it returns (meta tensors hold no values). A cell or zero state created
    without device= lands on the CPU and meets the meta tensors in an error, as on a GPU."""
    lstm = nn.LSTM(input_size, hidden_size, bias=bias, device="meta")
    x = torch.empty(steps, batch, input_size, device="meta")
    result = get(module, "lstm_with_cell")(lstm, x)
    devices, shapes = [], []
    pending = [result]
    for _ in range(64):
        if not pending:
            break
        item = pending.pop(0)
        if isinstance(item, torch.Tensor):
            devices.append(item.device.type)
            shapes.append(list(item.shape))
        elif isinstance(item, (tuple, list)):
            pending.extend(item)
    return {"devices": sorted(set(devices)), "shapes": shapes}
