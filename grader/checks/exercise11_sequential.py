"""Hidden checks for exercise 11: the three nn.Sequential builders and copy_weights.

copy_weights is tried on trusted models (`build_styled`, shared with the probe); what the
copied model must compute is computed here from the same recipe. The words are in
exercise11_sequential.toml.
"""

import copy

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import (
    Code,
    check,
    difference,
    expect_same,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    tolerance,
)
from grader.recipes.exercise11_sequential import STYLES, build_styled, outputs_of, state_of

say = messages(__name__)

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
        fail(
            say("not_sequential", call=call),
            expected=Code("torch.nn.Sequential"),
            got=Code(str(got["type"])),
            mistake="not_sequential",
        )
    layers = got["layers"]
    kinds = [_kind(layer) for layer in layers]
    if kinds != LAYER_TYPES:
        fail(
            say("wrong_layers", call=call),
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
            # Only the settings that differ, each named.
            fail(
                say("wrong_config", call=call, layer=what.split("(")[0], asked=what),
                expected={k: want[k] for k in wrong},
                got=wrong,
                mistake="wrong_layer_config",
            )
    got_names = [layer["name"] for layer in layers]
    if got_names != names:
        fail(
            say("wrong_names", call=call),
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


# What `copy_cases` draws from, built once: a strategy built inside a composite is built, checked
# and looked up again for every example.
STYLE_ORDERS = st.permutations(list(STYLES))
SEEDS, SIDES = st.integers(0, 99), st.integers(3, 5)


@st.composite
def copy_cases(draw: st.DrawFn) -> dict:
    """Two different naming styles, two different seeds, and an input batch."""
    src_style, dst_style = draw(STYLE_ORDERS)[:2]
    src_seed = draw(SEEDS)
    dst_seed = draw(SEEDS.filter(lambda s: s != src_seed))
    # Whole numbers in a small batch (it shrinks to (2, 3, 3, 3): one output pixel per image).
    shape = (2, 3, draw(SIDES), draw(SIDES))
    generator = torch.Generator().manual_seed(src_seed * 100 + dst_seed)
    x = torch.randint(-3, 4, shape, generator=generator).to(torch.float32)
    return {
        "src_style": src_style,
        "dst_style": dst_style,
        "src_seed": src_seed,
        "dst_seed": dst_seed,
        "x": x,
    }


def _described(style: str) -> Code:
    """A model of the case as code: its layers and their names."""
    layers = ("Conv2d(3, 3, 3)", "BatchNorm2d(3)", "ReLU()")
    if style == "positional":
        return Code(f"nn.Sequential({', '.join(layers)})")
    named = ", ".join(f'("{n}", {k})' for n, k in zip(STYLES[style], layers, strict=True))
    return Code(f"nn.Sequential(OrderedDict([{named}]))")


def _example(case: dict) -> dict:
    return {
        "src": _described(case["src_style"]),
        "dst": _described(case["dst_style"]),
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
        "src_names": list(src.state_dict()),
        "dst_names": list(dst.state_dict()),
        "src_state": state_of(src),
        "dst_state": state_of(dst),
        "buffers_at": buffers_at,
        "right": outputs_of(copy.deepcopy(src), x),
        "nothing": outputs_of(copy.deepcopy(dst), x),
        "params_only": outputs_of(params_only, x),
    }


# What name-based copies raise: load_state_dict's "Missing key(s) in state_dict", or a
# KeyError / AttributeError for a name of src that dst does not have.
NAME_ERRORS = {
    "state_dict": "load_state_dict_names",
    "Missing key": "load_state_dict_names",
    "KeyError": "copied_by_name",
    "AttributeError": "copied_by_name",
}


def _copy(learner, case: dict, device: str) -> dict:
    """Run copy_weights in the worker; diagnose the errors that name-based copies raise."""
    return probe_naming_errors(
        learner, "copy_weights", _example(case), NAME_ERRORS, **case, device=device
    )


def _by_name(names: list[str], tensors: list) -> dict:
    """A model's state as {name: tensor} (in order; names beyond the tensors are left out)."""
    return dict(zip(names, tensors, strict=False))


def _not_copied(
    got: dict, ref: dict, rtol: float, atol: float, buffers: bool
) -> tuple[str, str, object, object] | None:
    """Name the first tensor of dst (a parameter, or a buffer too) that differs from src's."""
    wanted = dict(zip(ref["dst_names"], ref["src_state"], strict=True))
    held = _by_name(ref["dst_names"], got["dst_state"])
    for i, name in enumerate(ref["dst_names"]):
        if (i in ref["buffers_at"]) and not buffers:
            continue
        if name not in held or not same(held[name], wanted[name], rtol, atol):
            return name, ref["src_names"][i], wanted[name], held.get(name)
    return None


def _nothing_copied(got: dict, ref: dict) -> str:
    """The mistake of a dst that kept its old values: a backwards copy, or no copy at all."""
    return "wrong_direction" if same(got["src_state"], ref["dst_state"]) else "copied_nothing"


def _check_src_unchanged(got: dict, ref: dict, example: dict) -> None:
    if same(got["src_state"], ref["src_state"]):
        return
    backwards = same(got["src_state"], ref["dst_state"])
    # Which of src's tensors changed, by its name, shown whole.
    want = _by_name(ref["src_names"], ref["src_state"])
    path, got_part, want_part = difference(_by_name(ref["src_names"], got["src_state"]), want) or (
        "",
        got["src_state"],
        ref["src_state"],
    )
    fail(
        say("src_backwards" if backwards else "src_changed", part=f"src.state_dict(){path}"),
        expected=want_part,
        got=got_part,
        mistake="wrong_direction" if backwards else None,
        example=example,
    )


def _expect_output(got_out, want_out, what, example, mistakes, got, ref, device, buffers) -> None:
    """dst(x) must equal src(x); when it does not, say which tensor of dst was not copied."""
    rtol, atol = tolerance(device, convolution=True)
    if same(got_out, want_out, rtol, atol):
        return
    found = _not_copied(got, ref, rtol, atol, buffers)
    if found is None:
        expect_same(
            got_out, want_out, what, example=example, mistakes=mistakes, rtol=rtol, atol=atol
        )
        return
    name, src_name, want, held = found
    mistake = next((m for m, out in mistakes.items() if same(got_out, out, rtol, atol)), None)
    fail(
        say(
            "not_copied",
            what=what,
            part=f"dst.state_dict()['{name}']",
            source=f"src.state_dict()['{src_name}']",
        ),
        expected=want,
        got=held,
        mistake=mistake,
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
    mistakes = {_nothing_copied(got, ref): ref["nothing"]["train"]}
    what = say("train_output")
    _expect_output(out, ref["right"]["train"], what, example, mistakes, got, ref, device, False)


@check("copy_weights_buffers", devices="all")
@given(case=copy_cases())
def test_copy_weights_buffers(learner, device, case):
    example = _example(case)
    got = _copy(learner, case, device)
    ref = _reference(case)
    out = expect_type(got["dst_outputs"]["eval"], torch.Tensor, "dst(x)", example)
    mistakes = {
        _nothing_copied(got, ref): ref["nothing"]["eval"],
        "skipped_buffers": ref["params_only"]["eval"],
    }
    what = say("eval_output")
    _expect_output(out, ref["right"]["eval"], what, example, mistakes, got, ref, device, True)
    for i in ref["buffers_at"]:
        name = ref["dst_names"][i]
        if i >= len(got["dst_state"]) or not same(got["dst_state"][i], ref["src_state"][i]):
            fail(
                say("buffer_not_copied", part=f"dst.state_dict()['{name}']"),
                expected=ref["src_state"][i],
                got=got["dst_state"][i] if i < len(got["dst_state"]) else None,
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
            say("shared_tensors"),
            mistake="shared_tensors",
            example=example,
        )
    if not (got["same_parameter_objects"] and got["parameters_ok"]):
        fail(
            say("replaced_parameters"),
            mistake="replaced_parameters",
            example=example,
        )
