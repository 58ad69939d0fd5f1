"""Hidden checks for exercise 10: conv size formulas, SmallCNN, predict.

Expected sizes come from running real nn.Conv2d / nn.ConvTranspose2d layers here, and
predict's expected outputs from the same trusted model recipe the probe uses, run here.
"""

from collections.abc import Callable

import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn

from grader.checking import check, expect_same, expect_type, fail, same, show, type_name
from grader.probes.exercise10_layers import build_predict_model
from grader.sandbox.proxy import LearnerRaised

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


def tolerance(device: str) -> dict:
    """How close float results must be: GPU convolutions may use TF32 and other algorithms."""
    return {"rtol": 1e-4, "atol": 1e-5} if device == "cpu" else {"rtol": 2e-3, "atol": 2e-3}


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


@st.composite
def conv_configs(draw: st.DrawFn) -> dict:
    """Valid nn.Conv2d settings for one side: the dilated kernel fits the padded input."""
    c = {
        "kernel": draw(st.integers(1, 7)),
        "stride": draw(st.integers(1, 4)),
        "padding": draw(st.integers(0, 3)),
        "dilation": draw(st.integers(1, 3)),
    }
    smallest = max(1, _span(c) - 2 * c["padding"])
    return {"size": draw(st.integers(smallest, smallest + 30)), **c}


@st.composite
def transpose_configs(draw: st.DrawFn) -> dict:
    """Valid nn.ConvTranspose2d settings: output_padding < stride or dilation, output >= 1."""
    c = {
        "size": draw(st.integers(1, 20)),
        "kernel": draw(st.integers(1, 6)),
        "stride": draw(st.integers(1, 4)),
        "dilation": draw(st.integers(1, 3)),
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
    kind = "" if type(got) is int else f" (a {type_name(got)}, expected an int)"
    fail(
        f"{call} returned {show(got)}{kind}; PyTorch's layer gives {want}.",
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


def _shape_error(raised: LearnerRaised, example: dict) -> None:
    """Diagnose the errors a size-dependent network raises; re-raise anything else."""
    text = raised.message
    if "mat1 and mat2" in text or "is invalid for input of size" in text:
        fail(
            f"SmallCNN failed on an input of size {example.get('H')}x{example.get('W')}: {text}",
            mistake="fixed_size_linear",
            example=example,
        )
    if "too small" in text:
        fail(
            f"SmallCNN shrank an input of size {example.get('H')}x{example.get('W')} to "
            f"nothing: {text}",
            mistake="downsampled_too_far",
            example=example,
        )
    raise raised


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
    example = {"model": f"SmallCNN({', '.join(f'{a}={v}' for a, v in kwargs.items())})"}
    example.update(B=batch, H=h, W=w)
    try:
        got = learner.probe(
            "smallcnn_shapes",
            kwargs=kwargs,
            eval_shape=[batch, c, h, w],
            train_shape=[max(batch, 2), c, h, w],
            seed=seed,
            device=device,
        )
    except LearnerRaised as raised:
        _shape_error(raised, example)
    for mode, rows in (("eval", batch), ("train", max(batch, 2))):
        out = expect_type(got[mode], torch.Tensor, f"SmallCNN's output ({mode} mode)", example)
        if tuple(out.shape) != (rows, k) or not out.is_floating_point():
            fail(
                f"in {mode} mode, an input of shape {(rows, c, h, w)} gave an output of shape "
                f"{tuple(out.shape)} and dtype {out.dtype}; expected shape {(rows, k)} of floats.",
                example=example,
            )
        if not bool(torch.isfinite(out).all()):
            fail(f"SmallCNN's {mode}-mode output has NaN or inf values.", example=example)


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
            f"SmallCNN() has no {', '.join('nn.' + m for m in missing)} layer among its modules.",
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
            f"SmallCNN has {count:,} parameters; at most {MAX_PARAMETERS:,} are allowed.",
            expected=f"<= {MAX_PARAMETERS}",
            got=count,
            mistake="too_many_parameters",
            example={"model": f"SmallCNN({', '.join(f'{k}={v}' for k, v in kwargs.items())})"},
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
    example = {"model": f"SmallCNN({in_channels}, {num_classes})", "B": batch, "H": h, "W": w}
    try:
        got = learner.probe(
            "smallcnn_modes",
            in_channels=in_channels,
            num_classes=num_classes,
            shape=[batch, in_channels, h, w],
            seed=seed,
            device=device,
        )
    except LearnerRaised as raised:
        _shape_error(raised, example)
    for key in got:
        expect_type(got[key], torch.Tensor, "SmallCNN's output", example)
    if not same(got["eval_first"], got["eval_second"], **tolerance(device)):
        fail(
            "in evaluation mode, two calls on the same batch gave different outputs: something "
            "random still runs after model.eval().",
            mistake="dropout_ignores_eval",
            example=example,
        )
    alone, first = got["eval_alone"], got["eval_first"][:1]
    if not same(alone, first, **tolerance(device)):
        fail(
            "in evaluation mode, the first image's output changed when it was passed alone "
            f"instead of in a batch of {batch}: the batch statistics are still used.\n"
            f"  in the batch: {show(first)}\n  alone:        {show(alone)}",
            mistake="batchnorm_ignores_eval",
            example=example,
        )
    if same(got["train_first"], got["train_second"], rtol=1e-5, atol=1e-6):
        fail(
            "in training mode, two calls on the same batch gave identical outputs: dropout "
            "never zeroes anything.",
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


@st.composite
def predict_cases(draw: st.DrawFn) -> dict:
    """Inputs for predict: the trusted model's sizes, a seed, a batch and the starting mode."""
    c = draw(st.integers(1, 3))
    shape = (draw(st.integers(1, 3)), c, draw(st.integers(4, 10)), draw(st.integers(4, 10)))
    seed = draw(st.integers(0, 99))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * 2
    return {
        "in_channels": c,
        "num_classes": draw(st.integers(1, 5)),
        "seed": seed,
        "x": x,
        "start_training": draw(st.booleans()),
    }


def _example(case: dict) -> dict:
    mode = "train()" if case["start_training"] else "eval()"
    return {"model": f"a Conv2d-BatchNorm2d-ReLU-Dropout-Linear net in {mode} mode", "x": case["x"]}


@check("predict_eval_outputs", devices="all")
@given(case=predict_cases())
def test_predict_eval_outputs(learner, device, case):
    example = _example(case)
    got = learner.probe("predict", **case, device=device)
    value = expect_type(got["value"], torch.Tensor, "predict", example)
    want = expected_predict(case["in_channels"], case["num_classes"], case["seed"], case["x"])
    tol = tolerance(device)
    if any(any(call["modes"]) for call in got["calls"]) and not same(value, want, **tol):
        fail(
            "predict's outputs are not the evaluation-mode outputs: the forward pass ran with "
            f"the model in training mode.\n  expected: {show(want)}\n  got:      {show(value)}",
            expected=want,
            got=value,
            mistake="forgot_eval",
            example=example,
        )
    expect_same(value, want, "predict(model, x)", example=example, **tol)
    if got["device"] != device:
        fail(
            f"the result is on {got['device']}, but the model and x were on {device}",
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
        fail(
            "predict's result requires grad (it has a grad_fn): the forward pass recorded a "
            "graph for backward.",
            expected="requires_grad=False, grad_fn=None",
            got=f"requires_grad={got['requires_grad']}, grad_fn set={got['has_grad_fn']}",
            mistake="forgot_no_grad",
            example=example,
        )
    if any(call["grad_enabled"] for call in got["calls"]):
        fail(
            "the forward pass ran with gradient tracking on, so a graph was built (and its "
            "activations kept in memory) even though the result was then detached.",
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
    state = {True: "training", False: "evaluation"}
    trained = sum(after[1:])
    fail(
        f"the model was in {state[start]} mode before predict; afterwards model.training is "
        f"{after[0]} and {trained} of its {len(after) - 1} submodules are in training mode.",
        expected=[start] * len(after),
        got=after,
        mistake=mistake,
        example=example,
    )
