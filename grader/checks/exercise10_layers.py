"""Hidden checks for exercise 10: conv size formulas, SmallCNN, predict.

Expected sizes come from running real nn.Conv2d / nn.ConvTranspose2d layers here, and
predict's expected outputs from the same trusted model recipe the probe uses, run here.
"""

from collections.abc import Callable

import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn

from grader.checking import (
    Code,
    check,
    expect_same,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    tolerance,
    type_name,
)
from grader.recipes.exercise10_layers import build_predict_model
from grader.sandbox.proxy import LearnerRaised

say = messages(__name__)

CONV_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1}
TRANSPOSE_DEFAULTS = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
REQUIRED_LAYERS = (
    "Conv2d",
    "BatchNorm2d",
    "ReLU",
    "MaxPool2d",
    "AdaptiveAvgPool2d",
    "Dropout",
    "Linear",
)
DROPOUTS = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"}
MAX_PARAMETERS = 100_000

# The errors a network sized for one input size raises on another (a Linear after flatten
# that does not fit, a view to a fixed size, a pooling that shrank the input to nothing).
SHAPE_ERRORS = {
    "mat1 and mat2": "fixed_size_linear",
    "is invalid for input of size": "fixed_size_linear",
    "too small": "downsampled_too_far",
}


def conv_tolerance(device: str) -> dict:
    """How close outputs through convolutions must be (GPU convolutions may use TF32)."""
    rtol, atol = tolerance(device, convolution=True)
    return {"rtol": rtol, "atol": atol}


def torch_conv_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """One side of a real nn.Conv2d's output (the other side is a 1-pixel dummy)."""
    layer = nn.Conv2d(
        1, 1, (kernel, 1), stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1)
    )
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, size, 1)).shape[2])


def torch_transpose_size(
    size: int, kernel: int, stride: int, padding: int, output_padding: int, dilation: int
) -> int:
    """One side of a real nn.ConvTranspose2d's output."""
    layer = nn.ConvTranspose2d(
        1,
        1,
        (kernel, 1),
        stride=(stride, 1),
        padding=(padding, 0),
        output_padding=(output_padding, 0),
        dilation=(dilation, 1),
    )
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, size, 1)).shape[2])


def _span(c: dict) -> int:
    return c["dilation"] * (c["kernel"] - 1) + 1


# What each mistaken formula answers; a learner is diagnosed when one explains every answer.
CONV_MISTAKES: dict[str, Callable[[dict], object]] = {
    "conv_no_dilation": lambda c: (c["size"] + 2 * c["padding"] - c["kernel"]) // c["stride"] + 1,
    "conv_no_plus_one": lambda c: (c["size"] + 2 * c["padding"] - _span(c)) // c["stride"],
    "conv_ceil": lambda c: -(-(c["size"] + 2 * c["padding"] - _span(c)) // c["stride"]) + 1,
    "conv_padding_once": lambda c: (c["size"] + c["padding"] - _span(c)) // c["stride"] + 1,
    "true_division": lambda c: (c["size"] + 2 * c["padding"] - _span(c)) / c["stride"] + 1,
}
TRANSPOSE_MISTAKES: dict[str, Callable[[dict], object]] = {
    "transpose_no_output_padding": lambda c: (
        (c["size"] - 1) * c["stride"] - 2 * c["padding"] + _span(c)
    ),
    "transpose_no_dilation": lambda c: (
        (c["size"] - 1) * c["stride"] - 2 * c["padding"] + c["kernel"] + c["output_padding"]
    ),
    "transpose_no_plus_one": lambda c: (
        (c["size"] - 1) * c["stride"] - 2 * c["padding"] + _span(c) - 1 + c["output_padding"]
    ),
    "transpose_used_conv_formula": lambda c: (
        (c["size"] + 2 * c["padding"] - _span(c)) // c["stride"] + 1
    ),
    "transpose_padding_once": lambda c: (
        (c["size"] - 1) * c["stride"] - c["padding"] + _span(c) + c["output_padding"]
    ),
}
# Inputs on which every mistaken formula above differs from the right one and from the others.
CONV_TABLE = [
    {"size": 10, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2},
    {"size": 11, "kernel": 3, "stride": 3, "padding": 0, "dilation": 1},
    {"size": 7, "kernel": 2, "stride": 1, "padding": 2, "dilation": 3},
    {"size": 9, "kernel": 5, "stride": 2, "padding": 2, "dilation": 1},
]
TRANSPOSE_TABLE = [
    {"size": 5, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "dilation": 1},
    {"size": 4, "kernel": 3, "stride": 3, "padding": 0, "output_padding": 2, "dilation": 2},
    {"size": 6, "kernel": 2, "stride": 1, "padding": 1, "output_padding": 0, "dilation": 3},
]


# What the composites below draw from, built once: a strategy built inside a composite is built,
# checked and looked up again for every example.
CONV_KERNELS, TRANSPOSE_KERNELS = st.integers(1, 7), st.integers(1, 6)
STRIDES, PADDINGS, DILATIONS = st.integers(1, 4), st.integers(0, 3), st.integers(1, 3)
TRANSPOSE_SIZES = st.integers(1, 20)


@st.composite
def conv_configs(draw: st.DrawFn) -> dict:
    """Valid nn.Conv2d settings for one side: the dilated kernel fits the padded input."""
    c = {
        "kernel": draw(CONV_KERNELS),
        "stride": draw(STRIDES),
        "padding": draw(PADDINGS),
        "dilation": draw(DILATIONS),
    }
    smallest = max(1, _span(c) - 2 * c["padding"])
    return {"size": draw(st.integers(smallest, smallest + 30)), **c}


@st.composite
def transpose_configs(draw: st.DrawFn) -> dict:
    """Valid nn.ConvTranspose2d settings: output_padding < stride or dilation, output >= 1."""
    c = {
        "size": draw(TRANSPOSE_SIZES),
        "kernel": draw(TRANSPOSE_KERNELS),
        "stride": draw(STRIDES),
        "dilation": draw(DILATIONS),
    }
    c["output_padding"] = draw(st.integers(0, max(c["stride"], c["dilation"]) - 1))
    room = (c["size"] - 1) * c["stride"] + _span(c) - 1 + c["output_padding"]
    return {**c, "padding": draw(st.integers(0, min(3, room // 2)))}


def _call_args(config: dict, defaults: dict, omit: bool) -> dict:
    """The keyword arguments of the call: arguments at their default are left out if `omit`."""
    return {k: v for k, v in config.items() if not (omit and defaults.get(k, object()) == v)}


def _diagnose_size(learner, name: str, table: list[dict], mistakes: dict) -> str | None:
    """The mistaken formula that explains every answer of the learner on `table`, if any."""
    try:
        answers = learner.probe("sizes", function=name, configs=table)
    except LearnerRaised:
        return None
    for mistake, formula in mistakes.items():
        if all(same(a, formula(c)) for a, c in zip(answers, table, strict=True)):
            return mistake
    return None


def _check_size(learner, name: str, config: dict, want: int, omit: bool, table, mistakes) -> None:
    defaults = CONV_DEFAULTS if name == "conv2d_output_size" else TRANSPOSE_DEFAULTS
    args = _call_args(config, defaults, omit)
    (got,) = learner.probe("sizes", function=name, configs=[args])
    call = f"{name}({', '.join(f'{k}={v}' for k, v in args.items())})"
    if type(got) is int and got == want:
        return
    mistake = _diagnose_size(learner, name, table, mistakes)
    if type(got) is float and mistake is None:
        mistake = "true_division"
    fail(
        say("size_differs", call=call)
        if type(got) is int
        else say("size_not_int", call=call, kind=type_name(got)),
        expected=want,
        got=got,
        mistake=mistake,
        example=args,
    )


# Every default left out at least once, so that a wrong default in the signature shows.
@check("conv2d_output_size")
@given(config=conv_configs(), omit=st.booleans())
@example(config={"size": 9, "kernel": 3, **CONV_DEFAULTS}, omit=True)
def test_conv2d_output_size(learner, config, omit):
    want = torch_conv_size(**config)
    _check_size(learner, "conv2d_output_size", config, want, omit, CONV_TABLE, CONV_MISTAKES)


@check("conv_transpose2d_output_size")
@given(config=transpose_configs(), omit=st.booleans())
@example(config={"size": 5, "kernel": 3, **TRANSPOSE_DEFAULTS}, omit=True)
def test_conv_transpose2d_output_size(learner, config, omit):
    want = torch_transpose_size(**config)
    name = "conv_transpose2d_output_size"
    _check_size(learner, name, config, want, omit, TRANSPOSE_TABLE, TRANSPOSE_MISTAKES)


optional_channels = st.one_of(st.none(), st.integers(1, 4))
optional_classes = st.one_of(st.none(), st.integers(1, 12))


@check("smallcnn_shapes", devices="all")
@given(
    in_channels=optional_channels,
    num_classes=optional_classes,
    batch=st.integers(1, 3),
    h=st.integers(8, 40),
    w=st.integers(8, 40),
    seed=st.integers(0, 99),
)
def test_smallcnn_shapes(learner, device, in_channels, num_classes, batch, h, w, seed):
    kwargs = {}
    if in_channels is not None:
        kwargs["in_channels"] = in_channels
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    c, k = kwargs.get("in_channels", 3), kwargs.get("num_classes", 10)
    example: dict = {"model": Code(f"SmallCNN({', '.join(f'{a}={v}' for a, v in kwargs.items())})")}
    example.update(B=batch, H=h, W=w)
    got = probe_naming_errors(
        learner,
        "smallcnn_shapes",
        example,
        SHAPE_ERRORS,
        kwargs=kwargs,
        eval_shape=[batch, c, h, w],
        train_shape=[max(batch, 2), c, h, w],
        seed=seed,
        device=device,
    )
    for mode, rows in (("eval", batch), ("train", max(batch, 2))):
        out = expect_type(got[mode], torch.Tensor, say("output_after", mode=mode), example)
        if tuple(out.shape) != (rows, k) or not out.is_floating_point():
            fail(
                say("output_shape", mode=mode, shape=str((rows, c, h, w))),
                expected=Code(f"{(rows, k)}, torch.float32"),
                got=Code(f"{tuple(out.shape)}, {out.dtype}"),
                example=example,
            )
        if not bool(torch.isfinite(out).all()):
            fail(say("not_finite", mode=mode), got=out, example=example)


@check("smallcnn_layers")
def test_smallcnn_layers(learner):
    got = learner.probe("smallcnn_facts", kwargs={})
    present = {name for classes in got["layers"] for name in classes}
    missing = [
        name
        for name in REQUIRED_LAYERS
        if name not in present and not (name == "Dropout" and present & DROPOUTS)
    ]
    if missing:
        fail(
            say("missing_layers", missing=", ".join("nn." + m for m in missing)),
            expected=list(REQUIRED_LAYERS),
            got=sorted(present),
            mistake="missing_layer_types",
        )


@check("smallcnn_parameters")
@given(
    in_channels=st.one_of(st.none(), st.integers(1, 3)),
    num_classes=st.one_of(st.none(), st.integers(1, 10)),
)
def test_smallcnn_parameters(learner, in_channels, num_classes):
    kwargs = {"in_channels": in_channels, "num_classes": num_classes}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    got = learner.probe("smallcnn_facts", kwargs=kwargs)
    count = got["parameters"]
    if type(count) is not int or count > MAX_PARAMETERS:
        fail(
            say("too_many_parameters", count=f"{count:,}", limit=f"{MAX_PARAMETERS:,}"),
            expected=Code(f"<= {MAX_PARAMETERS}"),
            got=count,
            mistake="too_many_parameters",
            example={
                "model": Code(f"SmallCNN({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
            },
        )


@check("smallcnn_modes", devices="all")
@given(
    in_channels=st.integers(1, 3),
    num_classes=st.integers(2, 10),
    batch=st.integers(2, 4),
    h=st.integers(8, 20),
    w=st.integers(8, 20),
    seed=st.integers(0, 99),
)
def test_smallcnn_modes(learner, device, in_channels, num_classes, batch, h, w, seed):
    example = {
        "model": Code(f"SmallCNN({in_channels}, {num_classes})"),
        "B": batch,
        "H": h,
        "W": w,
    }
    got = probe_naming_errors(
        learner,
        "smallcnn_modes",
        example,
        SHAPE_ERRORS,
        in_channels=in_channels,
        num_classes=num_classes,
        shape=[batch, in_channels, h, w],
        seed=seed,
        device=device,
    )
    for key in got:
        expect_type(got[key], torch.Tensor, say("smallcnn_output"), example)
    if not same(got["eval_first"], got["eval_second"], **conv_tolerance(device)):
        fail(
            say("random_in_eval"),
            expected=got["eval_first"],
            got=got["eval_second"],
            mistake="dropout_ignores_eval",
            example=example,
        )
    alone, first = got["eval_alone"], got["eval_first"][:1]
    if not same(alone, first, **conv_tolerance(device)):
        fail(
            say("batch_statistics_in_eval", batch=batch),
            expected=first,
            got=alone,
            mistake="batchnorm_ignores_eval",
            example=example,
        )
    if same(got["train_first"], got["train_second"], rtol=1e-5, atol=1e-6):
        fail(
            say("dropout_inactive"),
            mistake="dropout_inactive",
            example=example,
        )


def expected_predict(in_channels: int, num_classes: int, seed: int, x: torch.Tensor):
    """The trusted model's evaluation-mode output for `x`, computed here."""
    with torch.random.fork_rng(devices=[]):
        model = build_predict_model(in_channels, num_classes, seed)
    model.eval()
    with torch.no_grad():
        return model(x)


CHANNELS = st.integers(1, 3)
BATCH_SIZES = st.integers(1, 3)
SIDES = st.integers(4, 10)
SEEDS = st.integers(0, 99)
CLASS_COUNTS = st.integers(1, 5)
BOOLEANS = st.booleans()


@st.composite
def predict_cases(draw: st.DrawFn) -> dict:
    """Inputs for predict: the trusted model's sizes, a seed, a batch and the starting mode."""
    c = draw(CHANNELS)
    shape = (draw(BATCH_SIZES), c, draw(SIDES), draw(SIDES))
    seed = draw(SEEDS)
    # Whole numbers stored as float: a counterexample reads 1.0, -2.0.
    x = torch.randint(-3, 4, shape, generator=torch.Generator().manual_seed(seed)).float()
    return {
        "in_channels": c,
        "num_classes": draw(CLASS_COUNTS),
        "seed": seed,
        "x": x,
        "start_training": draw(BOOLEANS),
    }


def _example(case: dict) -> dict:
    mode = "train()" if case["start_training"] else "eval()"
    layers = "nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Dropout, nn.Linear"
    return {"model": Code(f"nn.Sequential({layers}).{mode}"), "x": case["x"]}


@check("predict_eval_outputs", devices="all")
@given(case=predict_cases())
def test_predict_eval_outputs(learner, device, case):
    example = _example(case)
    got = learner.probe("predict", **case, device=device)
    value = expect_type(got["value"], torch.Tensor, "predict", example)
    want = expected_predict(case["in_channels"], case["num_classes"], case["seed"], case["x"])
    tol = conv_tolerance(device)
    if any(any(call["modes"]) for call in got["calls"]) and not same(value, want, **tol):
        fail(
            say("ran_in_training"),
            expected=want,
            got=value,
            mistake="forgot_eval",
            example=example,
        )
    expect_same(value, want, "predict(model, x)", example=example, **tol)
    if got["device"] != device:
        fail(
            say("result_moved"),
            expected=Code(device),
            got=Code(str(got["device"])),
            mistake="moved_device",
            example=example,
        )


@check("predict_no_graph")
@given(case=predict_cases())
def test_predict_no_graph(learner, case):
    example = _example(case)
    got = learner.probe("predict", **case, device="cpu")
    expect_type(got["value"], torch.Tensor, "predict", example)
    if got["requires_grad"] or got["has_grad_fn"]:
        grad_fn = "<set>" if got["has_grad_fn"] else "None"
        fail(
            say("result_requires_grad"),
            expected=Code("requires_grad=False, grad_fn=None"),
            got=Code(f"requires_grad={got['requires_grad']}, grad_fn={grad_fn}"),
            mistake="forgot_no_grad",
            example=example,
        )
    if any(call["grad_enabled"] for call in got["calls"]):
        fail(
            say("graph_built"),
            mistake="detach_instead_of_no_grad",
            example=example,
        )


@check("predict_restores_mode")
@given(case=predict_cases())
def test_predict_restores_mode(learner, case):
    example = _example(case)
    got = learner.probe("predict", **case, device="cpu")
    start = case["start_training"]
    after = got["modes_after"]
    if all(mode == start for mode in after):
        return
    if start and after[0] and not all(after):
        mistake = "training_attribute_only"
    elif start and not any(after):
        mistake = "left_in_eval"
    elif not start and all(after):
        mistake = "always_train_after"
    else:
        mistake = None
    key = "mode_not_restored_training" if start else "mode_not_restored_eval"
    fail(
        say(key, training=str(after[0]), trained=sum(after[1:]), total=len(after) - 1),
        expected=[start] * len(after),
        got=after,
        mistake=mistake,
        example=example,
    )
