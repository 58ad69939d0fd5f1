"""Runtime evidence for "write it by hand" rules: what a learner's call ran, however spelled."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn
from torch.utils._python_dispatch import _get_current_dispatch_mode

from grader.checks.exercise12_lstm import FUSED_LSTM
from grader.checks.exercise13_cross_entropy import RAN_FORBIDDEN
from grader.probes.ops import MAX_NAMES, recording


def ran(function, *args) -> list[str]:
    with recording() as names:
        function(*args)
    return names


def test_the_built_in_loss_is_seen_however_it_is_looked_up() -> None:
    logits, targets = torch.randn(3, 4, requires_grad=True), torch.tensor([0, 3, 1])
    hidden = vars(F)["cross" + "_entropy"]
    for spelling in (F.cross_entropy, hidden, nn.CrossEntropyLoss()):
        assert set(ran(spelling, logits, targets)) & RAN_FORBIDDEN, spelling
    # Reached below the torch function layer: the kernels still show.
    below = ran(torch.ops.aten.log_softmax.int, logits, 1)
    assert "aten._log_softmax" in below


def test_a_loss_written_by_hand_runs_nothing_forbidden() -> None:
    logits, targets = torch.randn(3, 4, requires_grad=True), torch.tensor([0, 3, 1])

    def by_hand(logits, targets):
        picked = logits.gather(1, targets[:, None]).squeeze(1)
        return (torch.logsumexp(logits, 1) - picked).mean()

    names = ran(by_hand, logits, targets)
    assert names and not set(names) & RAN_FORBIDDEN, names


def test_the_fused_lstm_is_seen_and_a_cell_is_not() -> None:
    lstm, cell, x = nn.LSTM(3, 2), nn.LSTMCell(3, 2), torch.randn(4, 1, 3)
    whole = lambda lstm, x: lstm(x)  # noqa: E731 - the spelling a source reader misses
    assert set(ran(whole, lstm, x)) & FUSED_LSTM
    assert not set(ran(lambda: [cell(step) for step in x])) & FUSED_LSTM


def test_recording_is_bounded_and_ends_with_the_block() -> None:
    x = torch.ones(2)
    with recording() as names:
        for n in range(MAX_NAMES + 100):
            getattr(torch, ["add", "mul", "sub"][n % 3])(x, n)
    assert 0 < len(names) <= 2 * MAX_NAMES
    assert ran(lambda: None) == []
    try:
        with recording() as names:
            torch.add(x, 1)
            raise ValueError("the learner's code raised")
    except ValueError:
        pass
    assert "add" in names, "what ran before the exception is still reported"
    assert _get_current_dispatch_mode() is None, "the modes end with the block"
    assert not torch._C._is_torch_function_mode_enabled()
