"""Readable evidence: the part that differs is named and shown whole, plurals are right."""

from __future__ import annotations

import pytest
import torch

from grader.checking import CheckFailure, difference, expect_same, plural, show


def test_the_parameter_that_differs_is_named_and_shown_whole() -> None:
    want = {"fc.weight": torch.zeros(3, 4), "fc.bias": torch.zeros(3)}
    got = {"fc.weight": torch.zeros(3, 4), "fc.bias": torch.tensor([0.0, 1.5, 0.0])}
    with pytest.raises(CheckFailure) as failure:
        expect_same(got, want, "state")
    message = str(failure.value)
    assert "state['fc.bias'] differs (values differ)" in message
    assert "got:      tensor([0.0, 1.5, 0.0], shape=(3,), dtype=float32)" in message
    assert "fc.weight" not in message


def test_an_index_in_a_list_of_tensors_is_named() -> None:
    want = [torch.ones(2), torch.arange(60.0)]
    got = [torch.ones(2), torch.arange(60.0) + (torch.arange(60) == 59)]
    path, mine, theirs = difference(got, want)
    assert path == "[1]" and mine is got[1] and theirs is want[1]
    with pytest.raises(CheckFailure) as failure:
        expect_same(got, want, "to_device(obj)")
    assert "59.0" in str(failure.value) and "60.0" in str(failure.value)  # shown whole


def test_keys_and_lengths_that_differ_are_said_in_words() -> None:
    with pytest.raises(CheckFailure, match=r"missing keys \['b'\], unexpected keys \['c'\]"):
        expect_same({"a": 1, "c": 2}, {"a": 1, "b": 2}, "d")
    with pytest.raises(CheckFailure, match="1 item, expected 2"):
        expect_same([1], [1, 2], "xs")


def test_a_long_value_is_never_cut_mid_number() -> None:
    text = show([1.2345678901234] * 200, limit=100)
    assert text.endswith(", ...") and len(text) <= 100
    assert text[:-5].endswith("1.2345678901234")


def test_plurals() -> None:
    assert plural(1, "sample") == "sample" and plural(0, "sample") == "samples"
    assert plural(2, "batch", "batches") == "batches"
