"""Hidden checks for exercise 2: to_numpy, to_numpy_copy and from_numpy."""

from typing import Any

import numpy as np
import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import (
    Code,
    check,
    expect_same,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
)

say = messages(__name__)

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
float_dtypes = st.sampled_from([torch.float32, torch.float64])
int_dtypes = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]
seeds = st.integers(0, 999)
functions = st.sampled_from(["to_numpy", "to_numpy_copy"])


# A learner exception that is a known mistake: a text of its message -> the mistake.
KNOWN_ERRORS = {
    "requires grad": "numpy_requires_grad",
    "tensor to numpy": "numpy_on_gpu",  # "can't convert cuda:0 device type tensor to numpy"
    "requires_grad flags of leaf": "detached_in_place",
    "detach views in-place": "detached_in_place",
}


def make(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """Small whole values of `shape` and `dtype` (floats too: a counterexample reads 3.0)."""
    generator = torch.Generator().manual_seed(seed)
    low, high = (0, 20) if dtype == torch.uint8 else (-9, 10)
    return torch.randint(low, high, shape, generator=generator).to(dtype)


def describe_input(values: torch.Tensor, requires_grad: bool, leaf: bool, device: str) -> Code:
    """How the tensor handed to the learner was made, as the learner would write it."""
    text = f"torch.tensor(..., dtype={str(values.dtype).removeprefix('torch.')})"
    if device != "cpu":
        text += f".to({device!r})"
    if requires_grad:
        text += ".requires_grad_()" if leaf else ".requires_grad_().clone()  # a non-leaf"
    return Code(text)


def expect_array(got: Any, want: np.ndarray, what: str, example: dict) -> None:
    """The learner's answer is exactly an ndarray equal to `want` in values, shape and dtype."""
    if type(got) in (list, float, int, torch.Tensor):
        fail(
            say("not_an_array", what=what),
            expected=Code("numpy.ndarray"),
            got=got,
            example=example,
            mistake="not_an_array",
        )
    value = expect_type(got, np.ndarray, what, example)
    other = np.float64 if want.dtype == np.float32 else np.float32
    expect_same(
        value,
        want,
        what,
        example=example,
        mistakes={"numpy_dtype_changed": want.astype(other)},
        rtol=0,
        atol=0,
    )


def run_to_numpy(
    learner: Any,
    device: str,
    name: str,
    values: torch.Tensor,
    requires_grad: bool,
    leaf: bool,
) -> tuple[dict, dict]:
    """The probe's facts for `name(t)`, and the example to show, after checking the result."""
    example = {"t": describe_input(values, requires_grad, leaf, device), "values": values}
    got = probe_naming_errors(
        learner,
        "to_numpy",
        example,
        KNOWN_ERRORS,
        function=name,
        values=values,
        requires_grad=requires_grad,
        leaf=leaf,
        device=device,
    )
    expect_array(got["value"], values.numpy().copy(), f"{name}(t)", example)
    return got, example


@check("to_numpy_values", devices="all")
@given(shape=shapes, dtype=float_dtypes, seed=seeds)
def test_to_numpy_values(learner, device, shape, dtype, seed):
    run_to_numpy(learner, device, "to_numpy", make(shape, dtype, seed), False, True)


@check("to_numpy_requires_grad", devices="all")
@given(shape=shapes, dtype=float_dtypes, leaf=st.booleans(), seed=seeds)
def test_to_numpy_requires_grad(learner, device, shape, dtype, leaf, seed):
    run_to_numpy(learner, device, "to_numpy", make(shape, dtype, seed), True, leaf)


@check("to_numpy_keeps_input", devices="all")
@given(name=functions, shape=shapes, dtype=float_dtypes, leaf=st.booleans(), seed=seeds)
def test_to_numpy_keeps_input(learner, device, name, shape, dtype, leaf, seed):
    got, example = run_to_numpy(learner, device, name, make(shape, dtype, seed), True, leaf)
    if not got["requires_grad"] or got["is_leaf"] != leaf:
        fail(
            say("input_detached", name=name),
            expected=Code(f"t.requires_grad == True, t.is_leaf == {leaf}"),
            got=Code(f"t.requires_grad == {got['requires_grad']}, t.is_leaf == {got['is_leaf']}"),
            example=example,
            mistake="detached_in_place",
        )
    if got["device"] != device:
        fail(
            say("input_moved", name=name),
            expected=Code(f"t.device.type == {device!r}"),
            got=Code(f"t.device.type == {got['device']!r}"),
            example=example,
            mistake="moved_input",
        )
    if not got["unchanged"]:
        fail(say("input_values_changed", name=name), example=example)


@check("to_numpy_cuda", devices="emulated")
@given(
    name=functions,
    shape=shapes,
    dtype=float_dtypes,
    requires_grad=st.booleans(),
    leaf=st.booleans(),
    seed=seeds,
)
def test_to_numpy_cuda(learner, name, shape, dtype, requires_grad, leaf, seed):
    values = make(shape, dtype, seed)
    example = {"t": describe_input(values, requires_grad, leaf, "cuda"), "values": values}
    got = probe_naming_errors(
        learner,
        "to_numpy_emulated",
        example,
        KNOWN_ERRORS,
        function=name,
        values=values,
        requires_grad=requires_grad,
        leaf=leaf,
    )
    expect_array(got["value"], values.numpy().copy(), f"{name}(t)", example)
    if got["requires_grad"] != requires_grad or not got["unchanged"]:
        fail(
            say("gpu_input_changed", name=name),
            example=example,
            mistake="detached_in_place",
        )


@check("to_numpy_copy_values", devices="all")
@given(
    shape=shapes, dtype=float_dtypes, requires_grad=st.booleans(), leaf=st.booleans(), seed=seeds
)
def test_to_numpy_copy_values(learner, device, shape, dtype, requires_grad, leaf, seed):
    run_to_numpy(learner, device, "to_numpy_copy", make(shape, dtype, seed), requires_grad, leaf)


@check("to_numpy_copy_independent", devices="all")
@given(shape=shapes, dtype=float_dtypes, requires_grad=st.booleans(), seed=seeds)
def test_to_numpy_copy_independent(learner, device, shape, dtype, requires_grad, seed):
    values = make(shape, dtype, seed)
    got, example = run_to_numpy(learner, device, "to_numpy_copy", values, requires_grad, True)
    if got["shares_memory"] or got["write_changes_input"]:
        fail(
            say("copy_shares_memory"),
            example=example,
            mistake="copy_shares_memory",
        )


@check("from_numpy_values", devices="all")
@given(
    shape=shapes,
    dtype=st.sampled_from([torch.float32, torch.float64, *int_dtypes]),
    how=st.sampled_from(["default", "str", "keyword", "torch.device"]),
    seed=seeds,
)
def test_from_numpy_values(learner, device, shape, dtype, how, seed):
    values = make(shape, dtype, seed)
    how = "str" if how == "default" and device != "cpu" else how
    example = {
        "a": values.numpy(),
        "device": Code(repr(device) if how != "default" else "(default)"),
    }
    got = learner.probe("from_numpy", values=values, device=device, how=how)
    value = expect_type(got["value"], torch.Tensor, "from_numpy(a, device)", example)
    expect_same(
        value,
        values,
        "from_numpy(a, device)",
        example=example,
        mistakes={"tensor_dtype_changed": values.float() if dtype != torch.float32 else None},
        rtol=0,
        atol=0,
    )
    if got["device"] != device:
        fail(
            say("ignored_device", device=repr(device)),
            expected=Code(f"result.device.type == {device!r}"),
            got=Code(f"result.device.type == {got['device']!r}"),
            example=example,
            mistake="ignored_device",
        )


@check("from_numpy_device", devices="any")
@given(
    shape=shapes,
    dtype=st.sampled_from([torch.float32, torch.float64, torch.int64]),
    how=st.sampled_from(["str", "keyword", "torch.device"]),
    seed=seeds,
)
def test_from_numpy_device(learner, shape, dtype, how, seed):
    # "meta" is a device every machine has (tensors with a shape and dtype but no data): it
    # shows whether `device` is used without needing a GPU.
    values = make(shape, dtype, seed)
    example = {"a": values.numpy(), "device": Code("'meta'")}
    got = learner.probe("from_numpy", values=values, device="meta", how=how)
    if got["device"] is None:
        expect_type(got["value"], torch.Tensor, "from_numpy(a, 'meta')", example)
    if got["device"] != "meta":
        fail(
            say("ignored_meta_device"),
            expected=Code("result.device.type == 'meta'"),
            got=Code(f"result.device.type == {got['device']!r}"),
            example=example,
            mistake="ignored_device",
        )
    want = (list(values.shape), str(values.dtype).removeprefix("torch."))
    if (got["shape"], got["dtype"]) != want:
        fail(
            say("meta_shape_dtype"),
            expected=Code(f"shape={tuple(want[0])}, dtype={want[1]}"),
            got=Code(f"shape={tuple(got['shape'] or ())}, dtype={got['dtype']}"),
            example=example,
            mistake="tensor_dtype_changed" if got["dtype"] != want[1] else None,
        )
