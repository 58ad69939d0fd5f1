"""Hidden checks for exercise 8: split_batch and data_parallel_grads.

The reference split is `torch.tensor_split`, the reference gradient is autograd on the whole
batch, and on a machine with two or more GPUs, `nn.DataParallel` itself.
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.checking import (
    Code,
    check,
    difference,
    expect_type,
    fail,
    messages,
    same,
    type_name,
    which_mistake,
)
from grader.recipes.exercise08_data_parallel import ACTIVATIONS, LOSSES, build_model

say = messages(__name__)

RTOL, ATOL = 1e-4, 1e-5
feature_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=2)
dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64])


def make_batch(rows: int, features: list[int], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """A batch of distinct values, so that a misplaced or missing row shows."""
    shape = (rows, *features)
    count = torch.Size(shape).numel()
    values = torch.randperm(count, generator=torch.Generator().manual_seed(seed)) - count // 2
    return values.reshape(shape).to(dtype)


def balanced(x: torch.Tensor, n: int) -> list[torch.Tensor]:
    """The contract's split, by torch: min(n, len(x)) chunks, sizes differ by at most one."""
    return list(torch.tensor_split(x, min(n, len(x))))


def by_sizes(x: torch.Tensor, sizes: list[int]) -> list[torch.Tensor] | None:
    """`x` cut into consecutive chunks of `sizes` (None if they do not fit in x)."""
    if any(s < 0 for s in sizes) or sum(sizes) > len(x):
        return None
    return list(torch.split(x[: sum(sizes)], sizes))


def split_mistakes(x: torch.Tensor, n: int) -> list[tuple[str, list | None]]:
    """What each known wrong split returns for (x, n)."""
    rows = len(x)
    base = rows // n
    sizes = [len(c) for c in balanced(x, n)]
    return [
        ("chunk_ceil_sizes", list(torch.chunk(x, n))),
        ("split_fixed_size", list(torch.split(x, base)) if base else None),
        ("dropped_remainder", by_sizes(x, [base] * n) if base else None),
        ("remainder_in_last", by_sizes(x, [base] * (n - 1) + [rows - base * (n - 1)])),
        ("smaller_first", by_sizes(x, sizes[::-1])),
        ("empty_chunks", list(torch.tensor_split(x, n))),
    ]


def split_mistake(learner, chunks: list, x: torch.Tensor, n: int, device: str) -> str | None:
    """The known wrong split that gives `chunks`, asking 10 rows over 4 devices if ambiguous."""
    matches = {k for k, v in split_mistakes(x, n) if v is not None and same(chunks, v)}
    if len(matches) > 1:
        # On small batches two wrong splits can agree; on 10 rows over 4 devices none do.
        wide = torch.arange(10.0)
        answer = learner.probe("split_batch", x=wide, n=4, device=device)["value"]
        again = dict(split_mistakes(wide, 4))
        matches = {
            k for k in matches if type(answer) in (list, tuple) and same(list(answer), again[k])
        }
    return matches.pop() if len(matches) == 1 else None


def expect_chunks(learner, got: dict, x: torch.Tensor, n: int, device: str) -> None:
    """Fail unless the probe's chunks are the balanced split of x, on `device`."""
    example = {"x": x, "n": n}
    value = got["value"]
    if type(value) not in (list, tuple):
        fail(
            say("split_not_a_list", kind=type_name(value)),
            expected=Code("list[torch.Tensor]"),
            got=value,
            example=example,
        )
    chunk = say("chunk_not_a_tensor")
    chunks = [expect_type(c, torch.Tensor, chunk, example) for c in value]
    want = balanced(x, n)
    if same(chunks, want):
        if any(d != device for d in got["devices"]):
            fail(
                say("chunks_moved", device=device),
                expected=[Code(device)] * len(chunks),
                got=[Code(str(d)) for d in got["devices"]],
                example=example,
                mistake="moved_device",
            )
        return
    mistake = split_mistake(learner, chunks, x, n, device)
    sizes, want_sizes = [len(c) for c in chunks], [len(c) for c in want]
    if sizes != want_sizes:
        fail(
            say("split_sizes", n=n, rows=len(x)),
            expected=want_sizes,
            got=sizes,
            mistake=mistake,
            example=example,
        )
    path, got_part, want_part = difference(chunks, want) or ("", chunks, want)
    fail(
        say("split_chunk_differs", n=n, rows=len(x), index=path.strip("[]") or "?"),
        expected=want_part,
        got=got_part,
        mistake=mistake,
        example=example,
    )


@check("split_batch_balanced", devices="all")
@given(
    data=st.data(),
    rows=st.integers(1, 12),
    features=feature_shapes,
    dtype=dtypes,
    seed=st.integers(0, 99),
)
def test_split_batch_balanced(learner, device, data, rows, features, dtype, seed):
    n = data.draw(st.integers(1, rows), label="n")
    x = make_batch(rows, features, dtype, seed)
    got = learner.probe("split_batch", x=x, n=n, device=device)
    expect_chunks(learner, got, x, n, device)


@check("split_batch_more_devices_than_rows", devices="all")
@given(data=st.data(), rows=st.integers(1, 5), features=feature_shapes, seed=st.integers(0, 99))
def test_split_batch_more_devices_than_rows(learner, device, data, rows, features, seed):
    n = data.draw(st.integers(rows + 1, 8), label="n")
    x = make_batch(rows, features, torch.float32, seed)
    got = learner.probe("split_batch", x=x, n=n, device=device)
    expect_chunks(learner, got, x, n, device)


# What `problems` draws from, built once: a strategy built inside a composite is built, checked
# and looked up again for every example.
LAYER_SIZES = st.lists(st.integers(1, 4), min_size=2, max_size=4)
LOSS_NAMES = st.sampled_from(sorted(LOSSES))
ACTIVATION_NAMES = st.sampled_from(sorted(ACTIVATIONS))
REPLICA_COUNTS = st.integers(1, 4)
SEEDS = st.integers(0, 999)
BOOLEANS = st.booleans()


@st.composite
def problems(draw: st.DrawFn, min_rows: int = 1) -> dict:
    """A model recipe, a batch (x, y) for it, and a number of replicas."""
    sizes = draw(LAYER_SIZES, label="sizes")
    loss = draw(LOSS_NAMES, label="loss")
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    activation = draw(ACTIVATION_NAMES, label="activation")
    rows = draw(st.integers(min_rows, 10), label="rows")
    n_replicas = draw(REPLICA_COUNTS, label="n_replicas")
    seed = draw(SEEDS, label="seed")
    generator = torch.Generator().manual_seed(seed)
    template = build_model(sizes, activation)

    def small(
        shape: torch.Size | tuple[int, ...], low: int, high: int, step: float
    ) -> torch.Tensor:
        """Whole multiples of `step` stored as float: a counterexample reads 0.5, -1.0, 2.0."""
        return torch.randint(low, high + 1, tuple(shape), generator=generator).float() * step

    # Weights in halves, inputs in whole numbers: small round values that still tell the
    # weighings of the chunks apart (a replica's gradient is rarely zero).
    state = {k: small(v.shape, -2, 2, 0.5) for k, v in template.state_dict().items()}
    preset = draw(BOOLEANS, label="model_has_grad")
    grads = {k: small(v.shape, -3, 3, 1.0) for k, v in state.items()}
    x = small((rows, sizes[0]), -3, 3, 1.0)
    if loss == "cross_entropy":
        y = torch.randint(0, sizes[-1], (rows,), generator=generator)
    else:
        y = small((rows, sizes[-1]), -3, 3, 1.0)
    recipe = {
        "sizes": sizes,
        "activation": activation,
        "state": state,
        "loss": loss,
        "grads": grads if preset else None,
    }
    return {"recipe": recipe, "x": x, "y": y, "n_replicas": n_replicas}


def gradient(recipe: dict, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """The gradient of the mean loss over (x, y), by autograd on a fresh model."""
    model = build_model(recipe["sizes"], recipe["activation"], recipe["state"])
    loss = LOSSES[recipe["loss"]]()(model(x), y)
    names, params = zip(*model.named_parameters(), strict=True)
    return dict(zip(names, torch.autograd.grad(loss, params), strict=True))


def combine(parts: list[dict], weights: list[float]) -> dict[str, torch.Tensor]:
    """sum_i weights[i] * parts[i], name by name."""
    return {k: sum(w * p[k] for w, p in zip(weights, parts, strict=True)) for k in parts[0]}


def grad_mistakes(recipe: dict, x: torch.Tensor, y: torch.Tensor, n: int) -> list:
    """What each known wrong combination of the replicas' gradients returns."""
    xs, ys = balanced(x, n), balanced(y, n)
    parts = [gradient(recipe, xc, yc) for xc, yc in zip(xs, ys, strict=True)]
    sizes = [float(len(c)) for c in xs]
    return [
        ("unweighted_average", combine(parts, [1 / len(parts)] * len(parts))),
        ("summed_unweighted", combine(parts, [1.0] * len(parts))),
        ("unnormalized_weights", combine(parts, sizes)),
        ("one_replica_only", parts[0]),
        ("one_replica_only", parts[-1]),
    ]


def problem_example(problem: dict) -> dict:
    """The inputs of one data_parallel_grads call, as a learner would write them."""
    recipe = problem["recipe"]
    sizes, activation = recipe["sizes"], ACTIVATIONS[recipe["activation"]].__name__
    layers = [f"nn.Linear({a}, {b})" for a, b in zip(sizes, sizes[1:], strict=False)]
    model = Code(f"nn.Sequential({f', nn.{activation}(), '.join(layers)})")
    return {
        "model": model,
        "model_has_grad": recipe["grads"] is not None,
        "loss_fn": Code(f"nn.{LOSSES[recipe['loss']].__name__}()"),
        "x": problem["x"],
        "y": problem["y"],
        "n_replicas": problem["n_replicas"],
    }


def expect_gradients(got: dict, want: dict, problem: dict, mistakes: list) -> None:
    """Fail unless the learner's {name: gradient} equals `want`."""
    example = problem_example(problem)
    grads = expect_type(got["grads"], dict, "data_parallel_grads", example)
    if sorted(grads) != sorted(want):
        fail(
            say("wrong_grad_names"),
            expected=list(want),
            got=list(grads),
            mistake="wrong_grad_names",
            example=example,
        )
    for name, value in grads.items():
        expect_type(value, torch.Tensor, say("gradient_of", name=name), example)
    if same(grads, want, RTOL, ATOL):
        return
    wrong = [k for k in want if not same(grads[k], want[k], RTOL, ATOL)]
    fail(
        say("wrong_gradient", name=wrong[0]),
        expected=want[wrong[0]],
        got=grads[wrong[0]],
        mistake=which_mistake(grads, mistakes, RTOL, ATOL),
        example=example,
    )


@check("data_parallel_grads_whole_batch", devices="all")
@given(problem=problems())
def test_data_parallel_grads_whole_batch(learner, device, problem):
    got = learner.probe("data_parallel_grads", device=device, **problem)
    recipe, x, y = problem["recipe"], problem["x"], problem["y"]
    mistakes = grad_mistakes(recipe, x, y, problem["n_replicas"])
    expect_gradients(got, gradient(recipe, x, y), problem, mistakes)


@check("data_parallel_grads_leaves_model", devices="all")
@given(problem=problems())
def test_data_parallel_grads_leaves_model(learner, device, problem):
    got = learner.probe("data_parallel_grads", device=device, **problem)
    recipe = problem["recipe"]
    example = problem_example(problem)
    for name, before in recipe["state"].items():
        if not same(got["params_after"].get(name), before, 0.0, 0.0):
            fail(
                say("changed_parameter", name=name),
                expected=before,
                got=got["params_after"].get(name),
                mistake="changed_original",
                example=example,
            )
        grad_before = None if recipe["grads"] is None else recipe["grads"][name]
        grad_after = got["grads_after"].get(name)
        if not same(grad_after, grad_before, 0.0, 0.0):
            fail(
                say("changed_grad", name=name),
                expected=grad_before,
                got=grad_after,
                mistake="changed_original",
                example=example,
            )


@check("data_parallel_grads_match_nn_data_parallel", devices="any")
@given(problem=problems(min_rows=3))
def test_data_parallel_grads_match_nn_data_parallel(learner, problem):
    gpus = torch.cuda.device_count()
    if gpus < 2:
        pytest.skip("needs 2 GPUs")
    recipe, x, y = problem["recipe"], problem["x"], problem["y"]
    replicas = min(max(problem["n_replicas"], 2), gpus)
    problem = {**problem, "n_replicas": replicas}
    model = build_model(recipe["sizes"], recipe["activation"], recipe["state"]).to("cuda:0")
    parallel = nn.DataParallel(model, device_ids=list(range(replicas)))
    LOSSES[recipe["loss"]]()(parallel(x.to("cuda:0")), y.to("cuda:0")).backward()
    want = {name: p.grad.cpu() for name, p in model.named_parameters()}
    # The learner's replicas run on the CPU: the worker may not have CUDA (grade --device cpu).
    got = learner.probe("data_parallel_grads", device="cpu", **problem)
    expect_gradients(got, want, problem, grad_mistakes(recipe, x, y, replicas))
