"""Hidden checks for exercise 16: classify_loss, predict, MLP, swish, evaluate.

Each stub function has one classic bug. A bug that raises is named from torch's own error
text (quoted in its diagnosis); a bug that runs is named by comparing the answer with what the
bug predicts, computed here with torch, or from what the probe saw the model go through.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import (
    check,
    expect_same,
    expect_type,
    fail,
    probe_naming_errors,
    show,
    which_mistake,
)
from grader.probes.exercise16_fix_the_bugs import evaluate_data, evaluate_model, predict_model


def tolerance(device: str) -> dict:
    """How close a result must be to the CPU reference."""
    return {"rtol": 1e-5, "atol": 1e-6} if device == "cpu" else {"rtol": 1e-4, "atol": 1e-5}


CLASSIFY_ERRORS = {
    "expected target dtype to be Long": "labels_not_long",
    "expected scalar type Long": "labels_not_long",
    "multi-target not supported": "labels_not_flattened",
    "to match target batch_size (0)": "squeezed_batch_of_one",
}


@st.composite
def classify_cases(draw: st.DrawFn, formats: bool) -> dict:
    """Logits (N, C) and labels; with `formats`, labels as float or int32, (N,) or (N, 1)."""
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    seed = draw(st.integers(0, 99))
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=generator) * 3
    labels = torch.randint(0, c, (n,), generator=generator)
    dtype, column = torch.int64, False
    if formats:
        dtype = draw(st.sampled_from([torch.float32, torch.int32, torch.float64, torch.int64]))
        column = draw(st.booleans())
        if dtype == torch.int64:
            column = True
    given_labels = labels.to(dtype)
    if column:
        given_labels = given_labels.unsqueeze(1)
    return {"logits": logits, "labels": given_labels, "indices": labels}


def _classify(learner, device: str, case: dict) -> None:
    logits, labels = case["logits"], case["labels"]
    example = {"logits": logits, "labels": labels}
    got = probe_naming_errors(
        learner, "classify", example, CLASSIFY_ERRORS, logits=logits, labels=labels, device=device
    )
    value = expect_type(got["value"], torch.Tensor, "classify_loss", example)
    want = F.cross_entropy(logits, case["indices"])
    expect_same(
        value.cpu(),
        want,
        "classify_loss(logits, labels)",
        example=example,
        mistakes=lambda: {
            "softmax_before_cross_entropy": F.cross_entropy(
                F.softmax(logits, dim=1), case["indices"]
            )
        },
        **tolerance(device),
    )
    if got["grad"] is None:
        fail(
            "classify_loss's result is not differentiable with respect to logits (no gradient "
            "reached them).",
            example=example,
        )


@check("classify_loss_raw_logits", devices="all")
@given(case=classify_cases(formats=False))
def test_classify_loss_raw_logits(learner, device, case):
    _classify(learner, device, case)


@check("classify_loss_label_formats", devices="all")
@given(case=classify_cases(formats=True))
def test_classify_loss_label_formats(learner, device, case):
    _classify(learner, device, case)


PREDICT_ERRORS = {
    "mat1 and mat2 must have the same dtype": "float64_input",
    "must have the same dtype": "float64_input",
    "Can't call numpy() on Tensor that requires grad": "numpy_of_graph",
}

# On a GPU (emulated), the two device mistakes raise torch's own errors.
GPU_PREDICT_ERRORS = {
    **PREDICT_ERRORS,
    "Expected all tensors to be on the same device": "input_not_on_model_device",
    "can't convert cuda": "numpy_on_gpu",
}


predict_cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 99),
        "n": st.integers(1, 6),
        "f": st.integers(2, 5),
        "classes": st.integers(2, 4),
        "training": st.booleans(),
    }
)


def _predict(learner, device: str, case: dict) -> tuple[dict, dict, torch.Tensor]:
    generator = torch.Generator().manual_seed(case["seed"])
    features = torch.randn(case["n"], case["f"], generator=generator, dtype=torch.float64)
    mode = "training" if case["training"] else "evaluation"
    where = " on a GPU (emulated)" if device == "emulated" else ""
    example = {
        "model": f"Linear({case['f']}, 8), ReLU, Dropout(0.5), Linear(8, {case['classes']}) "
        f"in {mode} mode (float32){where}",
        "features": f"a float64 array of shape {tuple(features.shape)}",
    }
    arguments = {
        "seed": case["seed"],
        "features": features,
        "classes": case["classes"],
        "training": case["training"],
    }
    if device == "emulated":
        got = probe_naming_errors(
            learner, "predict_emulated", example, GPU_PREDICT_ERRORS, **arguments
        )
    else:
        got = probe_naming_errors(
            learner, "predict", example, PREDICT_ERRORS, **arguments, device=device
        )
    return got, example, features


def _expect_classes(got: dict, example: dict, features: torch.Tensor, case: dict) -> None:
    """predict's answer is a NumPy int64 array of the right classes (near ties either way)."""
    value = got["value"]
    if isinstance(value, torch.Tensor):
        fail(
            "predict returned a torch.Tensor; it should return a NumPy array.",
            expected="numpy.ndarray",
            got="torch.Tensor",
            mistake="predict_returned_tensor",
            example=example,
        )
    value = expect_type(value, np.ndarray, "predict", example)
    with torch.random.fork_rng(devices=[]):
        model = predict_model(case["seed"], case["f"], case["classes"]).eval()
    with torch.no_grad():
        scores = model(features.float())
    want = scores.argmax(dim=1).numpy()
    if value.dtype == want.dtype and value.shape == want.shape:
        # Another device may round a near tie the other way: any class within 1e-4 of the
        # row's best score is a right answer.
        best = scores.max(dim=1, keepdim=True).values
        allowed = (scores >= best - 1e-4).numpy()
        picked = np.clip(value, 0, scores.shape[1] - 1)
        in_range = ((value >= 0) & (value < scores.shape[1])).all()
        if in_range and allowed[np.arange(len(value)), picked].all():
            return
    training = any(training for _, training in got["calls"])
    fail(
        f"predict returned {show(value)} (dtype {value.dtype}, shape {value.shape}); expected "
        f"{show(want)} (int64, shape {want.shape}).",
        expected=want,
        got=value,
        mistake="predict_train_mode" if training else None,
        example=example,
    )


@check("predict_classes", devices="all")
@given(case=predict_cases)
def test_predict_classes(learner, device, case):
    got, example, features = _predict(learner, device, case)
    _expect_classes(got, example, features, case)


@check("predict_on_gpu", devices="emulated")
@given(case=predict_cases)
def test_predict_on_gpu(learner, case):
    """predict for a model on a GPU, emulated on any machine (see `emulating_cuda`)."""
    got, example, features = _predict(learner, "emulated", case)
    _expect_classes(got, example, features, case)


@check("predict_no_graph")
@given(case=predict_cases)
def test_predict_no_graph(learner, case):
    got, example, _ = _predict(learner, "cpu", case)
    if not got["calls"]:
        fail("predict never called the model.", example=example)
    if any(grad for grad, _ in got["calls"]):
        fail(
            "the model ran with grad mode on, so autograd recorded a graph for a prediction "
            "that nobody will differentiate.",
            mistake="predict_records_graph",
            example=example,
        )


@check("predict_mode")
@given(case=predict_cases)
def test_predict_mode(learner, case):
    got, example, _ = _predict(learner, "cpu", case)
    if any(training for _, training in got["calls"]):
        fail(
            "the model ran in training mode, so Dropout dropped scores at random.",
            mistake="predict_train_mode",
            example=example,
        )
    if got["training_after"] != case["training"]:
        fail(
            f"the model was in {'training' if case['training'] else 'evaluation'} mode before "
            f"predict and in {'training' if got['training_after'] else 'evaluation'} mode after.",
            mistake="mode_not_restored",
            example=example,
        )
    if got["dtypes_after"] != ["torch.float32"]:
        fail(
            f"after predict the model's parameters are {got['dtypes_after']}; predict should "
            "not change the model it is given (convert the input, not the model).",
            mistake="model_cast_to_double",
            example=example,
        )


sizes_strategy = st.lists(st.integers(1, 6), min_size=2, max_size=5)


def _expected_parameters(sizes: list[int]) -> list[list[int]]:
    shapes = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False):
        shapes += [[n_out, n_in], [n_out]]
    return shapes


@check("mlp_registers_layers")
@given(sizes=sizes_strategy)
def test_mlp_registers_layers(learner, sizes):
    example = {"model": f"MLP({sizes})"}
    got = learner.probe("mlp_params", sizes=sizes)
    if not got["is_module"]:
        fail(f"MLP({sizes}) is a {got['type']}, not an nn.Module.", example=example)
    want = _expected_parameters(sizes)
    if not got["names"]:
        fail(
            f"MLP({sizes}).parameters() is empty: the module does not know its layers, so an "
            "optimizer gets nothing to train, .to() moves nothing and state_dict() saves nothing.",
            expected=want,
            got=[],
            mistake="layers_in_python_list",
            example=example,
        )
    if got["shapes"] != want:
        fail(
            f"the parameters' shapes, in order, should be {want}; got {got['shapes']}.",
            expected=want,
            got=got["shapes"],
            example=example,
        )
    outside = [n for n in got["names"] + got["state_keys"] if not n.startswith("layers.")]
    if outside or got["layers_type"] not in ("ModuleList", "Sequential"):
        fail(
            "every parameter should be registered under the attribute `layers`, an "
            f"nn.ModuleList or nn.Sequential (`layers` is a {got['layers_type']}; names outside "
            f"it: {outside}).",
            got=got["names"],
            mistake="layers_in_python_list" if got["layers_type"] == "list" else None,
            example=example,
        )


def _mlp_reference(x: torch.Tensor, weights: list[torch.Tensor], relu_last: bool) -> torch.Tensor:
    layers = len(weights) // 2
    for i in range(layers):
        x = F.linear(x, weights[2 * i], weights[2 * i + 1])
        if i < layers - 1 or relu_last:
            x = torch.relu(x)
    return x


@check("mlp_forward", devices="all")
@given(sizes=sizes_strategy, n=st.integers(1, 4), seed=st.integers(0, 99))
def test_mlp_forward(learner, device, sizes, n, seed):
    generator = torch.Generator().manual_seed(seed)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False):
        weights += [
            torch.randn(n_out, n_in, generator=generator),
            torch.randn(n_out, generator=generator),
        ]
    x = torch.randn(n, sizes[0], generator=generator)
    example = {"model": f"MLP({sizes}).to({device!r}) with given weights", "x": x}
    got = probe_naming_errors(
        learner,
        "mlp_forward",
        example,
        {"Expected all tensors to be on the same device": "layers_in_python_list"},
        sizes=sizes,
        weights=weights,
        x=x,
        device=device,
    )
    if got["value"] is None:
        fail(
            f"MLP({sizes}) has {got['linears']} Linear layers; expected {len(sizes) - 1}.",
            expected=len(sizes) - 1,
            got=got["linears"],
            example=example,
        )
    value = expect_type(got["value"], torch.Tensor, "MLP.forward", example)
    expect_same(
        value.cpu(),
        _mlp_reference(x, weights, relu_last=False),
        f"MLP({sizes})(x)",
        example=example,
        mistakes=lambda: {"relu_after_last": _mlp_reference(x, weights, relu_last=True)},
        **tolerance(device),
    )


SWISH_ERRORS = {
    "modified by an inplace operation": "inplace_on_saved_tensor",
    "leaf Variable that requires grad is being used in an in-place operation": "modified_input",
}

swish_cases = st.fixed_dictionaries(
    {
        "shape": st.sampled_from([(3,), (2, 3), (1,), (2, 1, 2)]),
        "seed": st.integers(0, 99),
        "dtype": st.sampled_from([torch.float32, torch.float64]),
        "leaf": st.booleans(),
    }
)


def _swish(
    learner, device: str, case: dict, requires_grad: bool
) -> tuple[dict, dict, torch.Tensor]:
    generator = torch.Generator().manual_seed(case["seed"])
    x = (torch.randn(case["shape"], generator=generator) * 3).to(case["dtype"])
    kind = ("a leaf" if case["leaf"] else "a non-leaf") + " requiring grad" if requires_grad else ""
    example = {"x": x, "x is": kind or "a plain tensor"}
    got = probe_naming_errors(
        learner,
        "swish",
        example,
        SWISH_ERRORS,
        x=x,
        requires_grad=requires_grad,
        leaf=case["leaf"],
        device=device,
    )
    return got, example, x


@check("swish_values", devices="all")
@given(case=swish_cases, requires_grad=st.booleans())
def test_swish_values(learner, device, case, requires_grad):
    got, example, x = _swish(learner, device, case, requires_grad)
    value = expect_type(got["value"], torch.Tensor, "swish", example)
    expect_same(value.cpu(), x * torch.sigmoid(x), "swish(x)", example=example, **tolerance(device))
    if not got["input_unchanged"]:
        fail(
            "swish changed its input x; it should return a new tensor.",
            mistake="modified_input",
            example=example,
        )


@check("swish_backward", devices="all")
@given(case=swish_cases)
def test_swish_backward(learner, device, case):
    got, example, x = _swish(learner, device, case, requires_grad=True)
    if got["grad"] is None:
        fail(
            "swish(x) does not depend on x for autograd: x.grad stayed None.",
            mistake="detached_gate",
            example=example,
        )
    s = torch.sigmoid(x)
    expect_same(
        got["grad"].cpu(),
        s * (1 + x * (1 - s)),
        "x.grad after swish(x).sum().backward()",
        example=example,
        mistakes=lambda: {"detached_gate": s},
        **tolerance(device),
    )


evaluate_cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 99),
        "examples": st.integers(5, 13),
        "batch_size": st.integers(2, 4),
        "training": st.booleans(),
    }
).filter(lambda c: c["examples"] % c["batch_size"] not in (0, 1))

EVALUATE_ERRORS = {"Expected more than 1 value per channel when training": "evaluate_train_mode"}


def _evaluate(learner, device: str, case: dict) -> tuple[dict, dict]:
    mode = "training" if case["training"] else "evaluation"
    example = {
        "model": f"Linear(4, 8), BatchNorm1d(8), ReLU, Dropout(0.3), Linear(8, 3) in {mode} mode",
        "loader": f"DataLoader of {case['examples']} examples, batch_size={case['batch_size']} "
        "(the last batch is smaller)",
        "loss_fn": "nn.CrossEntropyLoss()",
    }
    got = probe_naming_errors(learner, "evaluate", example, EVALUATE_ERRORS, **case, device=device)
    return got, example


def _batch_losses(case: dict) -> tuple[list[float], list[int]]:
    with torch.random.fork_rng(devices=[]):
        model = evaluate_model(case["seed"]).eval()
    inputs, targets = evaluate_data(case["seed"], case["examples"])
    losses, sizes = [], []
    with torch.no_grad():
        for start in range(0, case["examples"], case["batch_size"]):
            x = inputs[start : start + case["batch_size"]]
            y = targets[start : start + case["batch_size"]]
            losses.append(F.cross_entropy(model(x), y).item())
            sizes.append(len(y))
    return losses, sizes


@check("evaluate_mean_loss", devices="all")
@given(case=evaluate_cases)
def test_evaluate_mean_loss(learner, device, case):
    got, example = _evaluate(learner, device, case)
    value = got["value"]
    if isinstance(value, torch.Tensor):
        fail(
            f"evaluate returned a torch.Tensor{' that requires grad' if got['requires_grad'] else ''}"
            "; it should return a Python float.",
            expected="float",
            got="torch.Tensor",
            mistake="loss_tensor_returned",
            example=example,
        )
    value = expect_type(value, float, "evaluate", example)
    losses, sizes = _batch_losses(case)
    want = sum(loss * size for loss, size in zip(losses, sizes, strict=True)) / sum(sizes)
    if abs(value - want) <= 1e-5 + 1e-4 * abs(want):
        return
    mistake = which_mistake(
        value, {"mean_of_batch_means": sum(losses) / len(losses)}, rtol=1e-4, atol=1e-5
    )
    if mistake is None and any(training for _, training in got["calls"]):
        mistake = "evaluate_train_mode"
    fail(
        f"evaluate returned {value!r}; the mean loss per example is {want!r}.",
        expected=want,
        got=value,
        mistake=mistake,
        example=example,
    )


@check("evaluate_no_graph_and_mode")
@given(case=evaluate_cases)
def test_evaluate_no_graph_and_mode(learner, case):
    got, example = _evaluate(learner, "cpu", case)
    if not got["calls"]:
        fail("evaluate never called the model.", example=example)
    if any(training for _, training in got["calls"]) or got["buffers_changed"]:
        fail(
            "the model ran in training mode: Dropout was on and BatchNorm normalised with each "
            "batch's statistics and updated its running statistics.",
            mistake="evaluate_train_mode",
            example=example,
        )
    if any(grad for grad, _ in got["calls"]):
        fail(
            "the model ran with grad mode on, so autograd recorded a graph for every batch.",
            mistake="evaluate_keeps_graphs",
            example=example,
        )
    if got["training_after"] != case["training"]:
        fail(
            f"the model was in {'training' if case['training'] else 'evaluation'} mode before "
            f"evaluate and in {'training' if got['training_after'] else 'evaluation'} mode after.",
            mistake="mode_not_restored",
            example=example,
        )
