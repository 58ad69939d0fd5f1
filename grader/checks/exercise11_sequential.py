"""Hidden checks for exercise 11: the three nn.Sequential builders and copy_weights.

copy_weights is tried on trusted models (`build_styled`, shared with the probe); what the
copied model must compute is computed here from the same recipe.
"""

import copy

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import check, expect_same, expect_type, fail, same, show
from grader.probes.exercise11_sequential import STYLES, build_styled, outputs_of, state_of
from grader.sandbox.proxy import LearnerRaised

LAYER_TYPES = ["Conv2d", "BatchNorm2d", "ReLU"]
CONV_CONFIG = {
    "in_channels": 3,
    "out_channels": 3,
    "kernel_size": [3, 3],
    "stride": [1, 1],
    "padding": [0, 0],
    "dilation": [1, 1],
    "groups": 1,
    "bias": True,
}
BATCHNORM_CONFIG = {
    "num_features": 3,
    "eps": 1e-5,
    "momentum": 0.1,
    "affine": True,
    "track_running_stats": True,
}


def tolerance(device: str) -> dict:
    """How close outputs must be: GPU convolutions may use TF32 and other algorithms."""
    return {"rtol": 1e-4, "atol": 1e-5} if device == "cpu" else {"rtol": 2e-3, "atol": 2e-3}


def _kind(layer: dict) -> str:
    """Which of the expected layer types a described layer is, else its own class name."""
    for name in LAYER_TYPES:
        if name in layer["classes"]:
            return name
    return layer["classes"][0] if layer["classes"] else "?"


def _check_builder(learner, builder: str, names: list[str]) -> None:
    got = learner.probe("build", builder=builder)
    call = f"{builder}()"
    if not got["is_sequential"]:
        kind = "an nn.ModuleList" if got["is_module_list"] else f"a {got['type']}"
        fail(
            f"{call} returned {kind}, not an nn.Sequential (which is what can be called on x).",
            expected="torch.nn.Sequential",
            got=got["type"],
            mistake="not_sequential",
        )
    layers = got["layers"]
    kinds = [_kind(layer) for layer in layers]
    if kinds != LAYER_TYPES:
        fail(
            f"{call}'s layers are {kinds}; expected {LAYER_TYPES} in that order.",
            expected=LAYER_TYPES,
            got=kinds,
            mistake="wrong_order" if sorted(kinds) == sorted(LAYER_TYPES) else None,
        )
    conv, batchnorm = dict(layers[0]["config"]), layers[1]["config"]
    if conv.get("padding") == "valid":
        conv["padding"] = [0, 0]
    for what, config, want in (
        ("Conv2d(3, 3, 3)", conv, CONV_CONFIG),
        ("BatchNorm2d(3)", batchnorm, BATCHNORM_CONFIG),
    ):
        wrong = {k: config.get(k) for k, v in want.items() if not same(config.get(k), v)}
        if wrong:
            fail(
                f"{call}'s {what.split('(')[0]} layer is not {what}: "
                + ", ".join(f"{k}={v!r} (expected {want[k]!r})" for k, v in wrong.items()),
                mistake="wrong_layer_config",
            )
    got_names = [layer["name"] for layer in layers]
    if got_names != names:
        fail(
            f"{call}'s layers are named {got_names}; expected {names}.",
            expected=names,
            got=got_names,
            mistake="positional_names" if got_names == ["0", "1", "2"] else "wrong_names",
        )


@check("with_add_module_structure")
def test_with_add_module_structure(learner):
    _check_builder(learner, "with_add_module", list(STYLES["add_module"]))


@check("with_positional_structure")
def test_with_positional_structure(learner):
    _check_builder(learner, "with_positional", list(STYLES["positional"]))


@check("with_ordered_dict_structure")
def test_with_ordered_dict_structure(learner):
    _check_builder(learner, "with_ordered_dict", list(STYLES["ordered_dict"]))


@st.composite
def copy_cases(draw: st.DrawFn) -> dict:
    """Two different naming styles, two different seeds, and an input batch."""
    src_style, dst_style = draw(st.permutations(list(STYLES)))[:2]
    src_seed = draw(st.integers(0, 99))
    dst_seed = draw(st.integers(0, 99).filter(lambda s: s != src_seed))
    shape = (draw(st.integers(2, 4)), 3, draw(st.integers(3, 8)), draw(st.integers(3, 8)))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(src_seed * 100 + dst_seed))
    return {
        "src_style": src_style,
        "dst_style": dst_style,
        "src_seed": src_seed,
        "dst_seed": dst_seed,
        "x": x,
    }


def _example(case: dict) -> dict:
    return {
        "src": f"nn.Sequential named {list(STYLES[case['src_style']])} (trained)",
        "dst": f"nn.Sequential named {list(STYLES[case['dst_style']])} (other values)",
        "x": case["x"],
    }


def _reference(case: dict) -> dict:
    """What src and dst hold before the copy, and what dst computes after each kind of copy."""
    with torch.random.fork_rng(devices=[]):
        src = build_styled(case["src_style"], case["src_seed"], 3)
        dst = build_styled(case["dst_style"], case["dst_seed"], 1)
    buffers_at = [i for i, name in enumerate(src.state_dict()) if name in dict(src.named_buffers())]
    # Only the parameters copied: dst's own running statistics stay.
    params_only = copy.deepcopy(dst)
    with torch.no_grad():
        for target, value in zip(params_only.parameters(), src.parameters(), strict=True):
            target.copy_(value)
    x = case["x"]
    return {
        "src_state": state_of(src),
        "dst_state": state_of(dst),
        "buffers_at": buffers_at,
        "right": outputs_of(copy.deepcopy(src), x),
        "nothing": outputs_of(copy.deepcopy(dst), x),
        "params_only": outputs_of(params_only, x),
    }


def _copy(learner, case: dict, device: str) -> dict:
    """Run copy_weights in the worker; diagnose the errors that name-based copies raise."""
    try:
        return learner.probe("copy_weights", **case, device=device)
    except LearnerRaised as raised:
        if "state_dict" in raised.message or "Missing key" in raised.message:
            fail(
                f"copy_weights raised {raised.type_name}: {raised.message.splitlines()[0]} "
                "(the names of src and dst differ).",
                mistake="load_state_dict_names",
                example=_example(case),
            )
        if raised.is_a("KeyError") or raised.is_a("AttributeError"):
            fail(
                f"copy_weights raised {raised.type_name}: {raised.message} (a name of src does "
                "not exist in dst).",
                mistake="copied_by_name",
                example=_example(case),
            )
        raise


def _nothing_copied(got: dict, ref: dict) -> str:
    """The mistake of a dst that kept its old values: a backwards copy, or no copy at all."""
    return "wrong_direction" if same(got["src_state"], ref["dst_state"]) else "copied_nothing"


def _check_src_unchanged(got: dict, ref: dict, example: dict) -> None:
    if same(got["src_state"], ref["src_state"]):
        return
    backwards = same(got["src_state"], ref["dst_state"])
    fail(
        "copy_weights changed src"
        + (": src now holds dst's old values, the copy went the wrong way." if backwards else "."),
        mistake="wrong_direction" if backwards else None,
        example=example,
    )


@check("copy_weights_parameters", devices="all")
@given(case=copy_cases())
def test_copy_weights_parameters(learner, device, case):
    example = _example(case)
    got = _copy(learner, case, device)
    ref = _reference(case)
    _check_src_unchanged(got, ref, example)
    out = expect_type(got["dst_outputs"]["train"], torch.Tensor, "dst(x)", example)
    expect_same(
        out,
        ref["right"]["train"],
        "dst(x) in training mode after copy_weights (depends on the parameters only)",
        example=example,
        mistakes={_nothing_copied(got, ref): ref["nothing"]["train"]},
        **tolerance(device),
    )


@check("copy_weights_buffers", devices="all")
@given(case=copy_cases())
def test_copy_weights_buffers(learner, device, case):
    example = _example(case)
    got = _copy(learner, case, device)
    ref = _reference(case)
    out = expect_type(got["dst_outputs"]["eval"], torch.Tensor, "dst(x)", example)
    expect_same(
        out,
        ref["right"]["eval"],
        "dst(x) in evaluation mode after copy_weights (uses the running statistics)",
        example=example,
        mistakes={
            _nothing_copied(got, ref): ref["nothing"]["eval"],
            "skipped_buffers": ref["params_only"]["eval"],
        },
        **tolerance(device),
    )
    names = ["running_mean", "running_var", "num_batches_tracked"]
    for name, i in zip(names, ref["buffers_at"], strict=True):
        if i >= len(got["dst_state"]) or not same(got["dst_state"][i], ref["src_state"][i]):
            value = got["dst_state"][i] if i < len(got["dst_state"]) else None
            fail(
                f"dst's batch norm {name} was not copied from src.\n"
                f"  expected: {show(ref['src_state'][i])}\n  got:      {show(value)}",
                mistake="skipped_buffers",
                example=example,
            )


@check("copy_weights_independent")
@given(case=copy_cases())
def test_copy_weights_independent(learner, case):
    example = _example(case)
    got = _copy(learner, case, "cpu")
    if got["dst_changed_with_src"]:
        fail(
            "after copy_weights, changing src's tensors in place also changed dst: dst shares "
            "memory with src instead of holding copies.",
            mistake="shared_tensors",
            example=example,
        )
    if not (got["same_parameter_objects"] and got["parameters_ok"]):
        fail(
            "copy_weights replaced dst's nn.Parameter objects (or made them plain tensors): an "
            "optimizer created for dst before the copy would still update the old ones.",
            mistake="replaced_parameters",
            example=example,
        )
