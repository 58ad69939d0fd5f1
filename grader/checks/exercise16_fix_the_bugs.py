"""Hidden checks for exercise 16: classify_loss, predict, MLP, swish, evaluate.

Each stub function has one classic bug. A bug that raises is named from torch's own error
text (quoted in its diagnosis); a bug that runs is named by comparing the answer with what the
bug predicts, computed here with torch, or from what the probe saw the model go through.
Every learner-facing word is in exercise16_fix_the_bugs.toml; inputs are shown as code.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
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
    tolerance,
    which_mistake,
)
from grader.recipes.exercise16_fix_the_bugs import evaluate_data, evaluate_model, predict_model

say = messages(__name__)


def whole(shape: tuple[int, ...], generator: torch.Generator, low: int = -4) -> torch.Tensor:
    """Small whole numbers as float32, so that a counterexample reads 2.0, not 1.5409960746."""
    return torch.randint(low, -low + 1, shape, generator=generator).float()


CLASSIFY_ERRORS = {
    "expected target dtype to be Long": "labels_not_long",
    "expected scalar type Long": "labels_not_long",
    "multi-target not supported": "labels_not_flattened",
    "to match target batch_size (0)": "squeezed_batch_of_one",
}


# What `classify_cases` draws from, built once: a strategy built inside a composite is built,
# checked and looked up again for every example.
BATCH_SIZES, CLASS_COUNTS, SEEDS = st.integers(1, 5), st.integers(2, 5), st.integers(0, 99)
LABEL_DTYPES = st.sampled_from([torch.float32, torch.int32, torch.float64, torch.int64])
BOOLEANS = st.booleans()


@st.composite
def classify_cases(draw: st.DrawFn, formats: bool) -> dict:
    """Logits (N, C) and labels; with `formats`, labels as float or int32, (N,) or (N, 1)."""
    n, c = draw(BATCH_SIZES), draw(CLASS_COUNTS)
    seed = draw(SEEDS)
    generator = torch.Generator().manual_seed(seed)
    logits = whole((n, c), generator)
    labels = torch.randint(0, c, (n,), generator=generator)
    dtype, column = torch.int64, False
    if formats:
        dtype = draw(LABEL_DTYPES)
        column = draw(BOOLEANS)
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
    rtol, atol = tolerance(device)
    expect_same(
        value.cpu(),
        F.cross_entropy(logits, case["indices"]),
        "classify_loss(logits, labels)",
        example=example,
        mistakes=lambda: {
            "softmax_before_cross_entropy": F.cross_entropy(
                F.softmax(logits, dim=1), case["indices"]
            )
        },
        rtol=rtol,
        atol=atol,
    )
    if got["grad"] is None:
        fail(say("loss_not_differentiable"), example=example)


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


def _mode(training: bool) -> str:
    return ".train()" if training else ".eval()"


def _predict(learner, device: str, case: dict) -> tuple[dict, dict, torch.Tensor]:
    """predict's answer on `device` ("emulated": a GPU emulated on the CPU), the example shown."""
    generator = torch.Generator().manual_seed(case["seed"])
    features = whole((case["n"], case["f"]), generator).double()
    gpu = ".cuda()" if device == "emulated" else ""
    model = (
        f"nn.Sequential(nn.Linear({case['f']}, 8), nn.ReLU(), nn.Dropout(0.5), "
        f"nn.Linear(8, {case['classes']})){gpu}{_mode(case['training'])}"
    )
    example = {"model": Code(model), "features": features.numpy()}
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
            say("predict_returned_tensor"),
            expected=Code("numpy.ndarray"),
            got=Code("torch.Tensor"),
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
        message = say("predict_wrong_classes")
    else:
        message = say("predict_array_form", want_shape=str(want.shape))
    training = any(training for _, training in got["calls"])
    fail(
        message,
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


def _expect_mode_restored(name: str, before: bool, after: bool, example: dict) -> None:
    if after != before:
        key = "left_in_training_mode" if after else "left_in_evaluation_mode"
        fail(say(key, name=name), mistake="mode_not_restored", example=example)


@check("predict_no_graph")
@given(case=predict_cases)
def test_predict_no_graph(learner, case):
    got, example, _ = _predict(learner, "cpu", case)
    if not got["calls"]:
        fail(say("never_called_model", name="predict"), example=example)
    if any(grad for grad, _ in got["calls"]):
        fail(say("predict_records_graph"), mistake="predict_records_graph", example=example)


@check("predict_mode")
@given(case=predict_cases)
def test_predict_mode(learner, case):
    got, example, _ = _predict(learner, "cpu", case)
    if any(training for _, training in got["calls"]):
        fail(say("predict_train_mode"), mistake="predict_train_mode", example=example)
    _expect_mode_restored("predict", case["training"], got["training_after"], example)
    if got["dtypes_after"] != ["torch.float32"]:
        fail(
            say("model_dtype_changed"),
            expected=["torch.float32"],
            got=got["dtypes_after"],
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
    model = f"MLP({sizes})"
    example = {"model": Code(model)}
    got = learner.probe("mlp_params", sizes=sizes)
    if not got["is_module"]:
        fail(say("mlp_not_module", model=model, kind=got["type"]), example=example)
    want = _expected_parameters(sizes)
    if not got["names"]:
        fail(
            say("mlp_no_parameters", model=model),
            expected=want,
            got=[],
            mistake="layers_in_python_list",
            example=example,
        )
    if got["shapes"] != want:
        fail(
            say("mlp_parameter_shapes", model=model),
            expected=want,
            got=got["shapes"],
            example=example,
        )
    outside = [n for n in got["names"] + got["state_keys"] if not n.startswith("layers.")]
    if outside or got["layers_type"] not in ("ModuleList", "Sequential"):
        fail(
            say("mlp_not_under_layers", kind=got["layers_type"], outside=str(outside)),
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
        weights += [whole((n_out, n_in), generator, -2), whole((n_out,), generator, -2)]
    x = whole((n, sizes[0]), generator, -2)
    model = f"MLP({sizes})"
    # The weights shown are those copied into the Linear layers, in order: W0, b0, W1, b1, ...
    example = {"model": Code(f"{model}.to({device!r})"), "weights": weights, "x": x}
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
            say("mlp_linear_count", model=model),
            expected=len(sizes) - 1,
            got=got["linears"],
            example=example,
        )
    value = expect_type(got["value"], torch.Tensor, "MLP.forward", example)
    rtol, atol = tolerance(device)
    expect_same(
        value.cpu(),
        _mlp_reference(x, weights, relu_last=False),
        f"{model}(x)",
        example=example,
        mistakes=lambda: {"relu_after_last": _mlp_reference(x, weights, relu_last=True)},
        rtol=rtol,
        atol=atol,
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
    # Halves from -3 to 3: sigmoid is far from flat there, and the values read plainly.
    x = (whole(case["shape"], generator, -6) / 2).to(case["dtype"])
    example = {
        "x": x,
        "x.requires_grad": requires_grad,
        "x.is_leaf": case["leaf"] or not requires_grad,
    }
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
    rtol, atol = tolerance(device)
    expect_same(
        value.cpu(), x * torch.sigmoid(x), "swish(x)", example=example, rtol=rtol, atol=atol
    )
    if not got["input_unchanged"]:
        fail(say("swish_changed_input"), mistake="modified_input", example=example)


@check("swish_backward", devices="all")
@given(case=swish_cases)
def test_swish_backward(learner, device, case):
    got, example, x = _swish(learner, device, case, requires_grad=True)
    if got["grad"] is None:
        fail(say("swish_no_gradient"), mistake="detached_gate", example=example)
    s = torch.sigmoid(x)
    rtol, atol = tolerance(device)
    expect_same(
        got["grad"].cpu(),
        s * (1 + x * (1 - s)),
        say("swish_gradient"),
        example=example,
        mistakes=lambda: {"detached_gate": s},
        rtol=rtol,
        atol=atol,
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
    n, batch_size = case["examples"], case["batch_size"]
    example = {
        "model": Code(
            "nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), "
            f"nn.Linear(8, 3)){_mode(case['training'])}"
        ),
        "loader": Code(
            f"DataLoader(TensorDataset(torch.randn({n}, 4), torch.randint(0, 3, ({n},))), "
            f"batch_size={batch_size})"
        ),
        "loss_fn": Code("nn.CrossEntropyLoss()"),
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
        key = "evaluate_returned_graph" if got["requires_grad"] else "evaluate_returned_tensor"
        fail(
            say(key),
            expected=Code("float"),
            got=Code("torch.Tensor"),
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
    fail(say("evaluate_wrong_mean"), expected=want, got=value, mistake=mistake, example=example)


@check("evaluate_no_graph_and_mode")
@given(case=evaluate_cases)
def test_evaluate_no_graph_and_mode(learner, case):
    got, example = _evaluate(learner, "cpu", case)
    if not got["calls"]:
        fail(say("never_called_model", name="evaluate"), example=example)
    if any(training for _, training in got["calls"]) or got["buffers_changed"]:
        fail(say("evaluate_train_mode"), mistake="evaluate_train_mode", example=example)
    if any(grad for grad, _ in got["calls"]):
        fail(say("evaluate_keeps_graphs"), mistake="evaluate_keeps_graphs", example=example)
    _expect_mode_restored("evaluate", case["training"], got["training_after"], example)
