"""Hidden checks for exercise 3: train_step and train_epoch.

The probes train a small float64 model with the learner's code; here the same model is trained
with a correct step (torch's own SGD) and compared. On a mismatch, the wrong step orders that
learners write are simulated the same way, and the one that reproduces the learner's
parameters names the mistake.
"""

import functools
from collections.abc import Callable
from typing import Any

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.checking import (
    CheckFailure,
    Code,
    check,
    difference,
    fail,
    messages,
    probe_naming_errors,
    same,
    which_mistake,
)
from grader.sandbox.proxy import LearnerRaised

say = messages(__name__)

CORRECT = ("zero_grad", "forward", "backward", "step")
# Step orders learners write, each with the mistake it shows (several orders per mistake).
WRONG_ORDERS = (
    ("no_zero_grad", ("forward", "backward", "step")),
    ("zero_grad_after_backward", ("forward", "backward", "zero_grad", "step")),
    ("step_before_backward", ("zero_grad", "forward", "step", "backward")),
    ("step_before_backward", ("step", "zero_grad", "forward", "backward")),
    ("step_before_backward", ("forward", "step", "backward")),
    ("step_before_backward", ("forward", "zero_grad", "step", "backward")),
    ("missing_step", ("zero_grad", "forward", "backward")),
    ("missing_step", ("forward", "backward")),
    ("zero_grad_at_end", ("forward", "backward", "step", "zero_grad")),
)
ARCHS: dict[str, Callable[[int, int, int], nn.Module]] = {
    "linear": lambda i, h, o: nn.Linear(i, o),
    "mlp": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.Tanh(), nn.Linear(h, o)),
    "bn_mlp": lambda i, h, o: nn.Sequential(
        nn.Linear(i, h), nn.BatchNorm1d(h), nn.Tanh(), nn.Linear(h, o)
    ),
}
LOSSES = {"mse": nn.MSELoss, "cross_entropy": nn.CrossEntropyLoss}
LOSS_CODE = {"mse": "nn.MSELoss()", "cross_entropy": "nn.CrossEntropyLoss()"}
RTOL, ATOL = 1e-6, 1e-9


def round_values(shape: Any, generator: torch.Generator) -> torch.Tensor:
    """float64 values in halves between -2 and 2: a counterexample reads 1.5, not 1.5409960746765137.

    Halves keep a gradient step exact in binary, so what a learner sees is what was computed.
    """
    return torch.randint(-4, 5, tuple(shape), generator=generator).to(torch.float64) / 2


@functools.cache
def initial_state(arch: str, sizes: tuple[int, int, int]) -> dict[str, torch.Tensor]:
    """The architecture's freshly built state_dict: its names, shapes and BatchNorm buffers."""
    return dict(ARCHS[arch](*sizes).double().state_dict())


# What `recipes` draws from, built once: a strategy built inside a composite is built, checked
# and looked up again for every example (a third of the CPU time of drawing a recipe).
LOSS_NAMES = st.sampled_from(sorted(LOSSES))
INPUT_SIZES, HIDDEN_SIZES = st.integers(1, 4), st.integers(2, 4)
OUTPUT_SIZES = {"mse": st.integers(1, 3), "cross_entropy": st.integers(2, 3)}  # classes >= 2
SEEDS = st.integers(0, 999)
# Powers of two: with halves as values, a step's result stays short (1.75, not 1.98004...).
LEARNING_RATES = st.sampled_from([0.25, 0.125, 0.5, 0.0625])
MOMENTA = st.sampled_from([0.0, 0.5])


@st.composite
def recipes(draw: Any, archs: tuple[str, ...] = ("linear", "mlp")) -> dict:
    """A model (architecture, sizes, random float64 weights), a loss and SGD settings."""
    arch = draw(st.sampled_from(archs))
    loss = draw(LOSS_NAMES)
    sizes = [draw(INPUT_SIZES), draw(HIDDEN_SIZES), draw(OUTPUT_SIZES[loss])]
    generator = torch.Generator().manual_seed(draw(SEEDS))
    state = {
        name: round_values(value.shape, generator)
        if name.endswith(("weight", "bias"))
        else value.clone()
        for name, value in initial_state(arch, tuple(sizes)).items()
    }
    return {
        "arch": arch,
        "sizes": sizes,
        "state": state,
        "loss": loss,
        "lr": draw(LEARNING_RATES),
        "momentum": draw(MOMENTA),
        "seed": draw(SEEDS),
    }


def make_batches(recipe: dict, sizes: list[int]) -> list[list[torch.Tensor]]:
    """One (inputs, targets) pair per batch size, reproducible from the recipe's seed."""
    generator = torch.Generator().manual_seed(recipe["seed"])
    n_in, _, n_out = recipe["sizes"]
    batches = []
    for size in sizes:
        inputs = round_values((size, n_in), generator)
        if recipe["loss"] == "cross_entropy":
            targets = torch.randint(0, n_out, (size,), generator=generator)
        else:
            targets = round_values((size, n_out), generator)
        batches.append([inputs, targets])
    return batches


def build(recipe: dict) -> tuple[nn.Module, nn.Module, torch.optim.SGD]:
    """The recipe's model, loss and optimizer, here in the trusted process."""
    model = ARCHS[recipe["arch"]](*recipe["sizes"]).double()
    model.load_state_dict(recipe["state"])
    optimizer = torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe["momentum"])
    return model, LOSSES[recipe["loss"]](), optimizer


def simulate(
    recipe: dict,
    batches: list,
    order: tuple[str, ...] = CORRECT,
    stale: dict | None = None,
    train: bool = True,
) -> tuple[list[dict], dict]:
    """Train with `order`: (loss, parameters, gradients) after each step, final state_dict."""
    model, loss_fn, optimizer = build(recipe)
    model.train(train)
    if stale is not None:
        for name, p in model.named_parameters():
            p.grad = stale[name].clone()
    steps = []
    for inputs, targets in batches:
        for op in order:
            if op == "zero_grad":
                optimizer.zero_grad()
            elif op == "forward":
                loss = loss_fn(model(inputs), targets)
            elif op == "backward":
                loss.backward()
            else:
                optimizer.step()
        named = list(model.named_parameters())
        params = {n: p.detach().clone() for n, p in named}
        grads = {n: torch.zeros_like(p) if p.grad is None else p.grad.clone() for n, p in named}
        steps.append({"loss": loss.item(), "params": params, "grads": grads})
    return steps, {k: v.detach().clone() for k, v in model.state_dict().items()}


def describe(recipe: dict, batches: list, **more: Any) -> dict:
    """The example shown with a failure: what the learner's code was given, as code."""
    i, h, o = recipe["sizes"]
    model = {
        "linear": f"nn.Linear({i}, {o})",
        "mlp": f"nn.Sequential(nn.Linear({i}, {h}), nn.Tanh(), nn.Linear({h}, {o}))",
        "bn_mlp": f"nn.Sequential(nn.Linear({i}, {h}), nn.BatchNorm1d({h}), nn.Tanh(), "
        f"nn.Linear({h}, {o}))",
    }[recipe["arch"]]
    momentum = f", momentum={recipe['momentum']}" if recipe["momentum"] else ""
    return {
        "model": Code(f"{model}.double()"),
        "loss_fn": Code(LOSS_CODE[recipe["loss"]]),
        "optimizer": Code(f"torch.optim.SGD(model.parameters(), lr={recipe['lr']}{momentum})"),
        "batch_sizes": [len(x) for x, _ in batches],
        **more,
    }


def params_match(got: list, want: list) -> bool:
    """Whether the parameters after every step agree (got is the probe's plain data)."""
    return len(got) == len(want) and all(
        same(g.get("params") if type(g) is dict else None, w["params"], RTOL, ATOL)
        for g, w in zip(got, want, strict=True)
    )


def grads_match(got: list, want: list) -> bool:
    """Whether the gradients left after every step agree (None counts as zeros)."""
    for g, w in zip(got, want, strict=True):
        grads = g.get("grads")
        if type(grads) is not dict or grads.keys() != w["grads"].keys():
            return False
        for name, value in grads.items():
            value = torch.zeros_like(w["grads"][name]) if value is None else value
            if not same(value, w["grads"][name], RTOL, ATOL):
                return False
    return True


def diagnose_order(recipe: dict, batches: list, got: list, stale: dict | None) -> str | None:
    """The mistake whose step order reproduces the learner's parameters, if any.

    Orders that give the same parameters are told apart by the gradients left in `.grad` and
    by the calls the probe saw (which only ever choose a diagnosis, never the verdict).
    """
    seen = tuple(got[0].get("events", ())) if got and type(got[0]) is dict else ()
    best, best_score = None, None
    for mistake, order in WRONG_ORDERS:
        steps, _ = simulate(recipe, batches, order, stale)
        if not params_match(got, steps):
            continue
        score = (order == seen, grads_match(got, steps))
        if best_score is None or score > best_score:
            best, best_score = mistake, score
    return best


def expect_trajectory(recipe: dict, batches: list, got: Any, stale: dict | None) -> None:
    """Fail unless the parameters after each step are those of correct steps, naming why."""
    example = describe(recipe, batches, steps=len(batches))
    if stale is not None:
        example["old_grads"] = stale  # in every p.grad before the first call
    want, _ = simulate(recipe, batches, CORRECT, stale)
    if type(got) is not list or len(got) != len(want):
        fail(say("unreadable_report"), got=got, example=example)
    if params_match(got, want):
        return
    first = next(k for k in range(len(want)) if not params_match(got[k : k + 1], want[k : k + 1]))
    wanted, gotten = want[first]["params"], got[first]["params"]
    name = next(n for n in wanted if not same(gotten.get(n), wanted[n], RTOL, ATOL))
    before = got[first - 1]["params"] if first else {n: recipe["state"][n] for n in wanted}
    fail(
        say(
            "trajectory_unmoved" if same(gotten, before) else "trajectory_differs",
            call=first + 1,
            name=repr(name),
        ),
        expected=wanted[name],
        got=gotten.get(name),
        mistake=diagnose_order(recipe, batches, got, stale),
        example=example,
    )


@check("train_step_trajectory", devices="all")
@given(recipe=recipes(), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_train_step_trajectory(learner, device, recipe, sizes):
    batches = make_batches(recipe, sizes)
    got = learner.probe("train_step", recipe=recipe, batches=batches, device=device)
    expect_trajectory(recipe, batches, got, None)


@check("train_step_clears_old_grads", devices="all")
@given(recipe=recipes(), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_train_step_clears_old_grads(learner, device, recipe, sizes):
    batches = make_batches(recipe, sizes)
    generator = torch.Generator().manual_seed(recipe["seed"] + 1)
    stale = {k: round_values(v.shape, generator) for k, v in recipe["state"].items()}
    got = learner.probe("train_step", recipe=recipe, batches=batches, device=device, stale=stale)
    expect_trajectory(recipe, batches, got, stale)


@check("train_step_returns_loss", devices="all")
@given(recipe=recipes(), size=st.integers(1, 5))
def test_train_step_returns_loss(learner, device, recipe, size):
    batches = make_batches(recipe, [size])
    example = describe(recipe, batches)
    got = learner.probe("train_step", recipe=recipe, batches=batches, device=device)
    value = expect_float(got[0]["loss"], "train_step", example)
    # Two steps on the same batch: the second loss is the batch's loss after the update.
    (before, after), _ = simulate(recipe, batches * 2)
    if not same(value, before["loss"], RTOL, ATOL):
        fail(
            say("loss_not_before_update"),
            expected=before["loss"],
            got=value,
            example=example,
            mistake=which_mistake(value, {"loss_after_update": after["loss"]}, RTOL, ATOL),
        )


def expect_float(value: Any, what: str, example: dict) -> float:
    """`value` if it is a Python float; a tensor (the loss itself) is a named mistake."""
    if type(value) is not float:
        fail(
            say("not_a_float", what=what),
            expected=Code("float"),
            got=value,
            example=example,
            mistake="returned_tensor" if type(value) is torch.Tensor else None,
        )
    return value


def run_epoch(
    learner: Any, device: str, recipe: dict, batches: list, loader: str, mode: str
) -> tuple[dict, dict]:
    """The train_epoch probe's report and the example; a loader attribute is a named mistake."""
    example = describe(recipe, batches)
    example["loader"] = Code(
        "[(inputs, targets), ...]"
        if loader == "list"
        else f"DataLoader(TensorDataset(inputs, targets), batch_size={len(batches[0][0])})"
    )
    if mode == "eval":
        example["before"] = Code("model.eval()")
    kwargs = {"recipe": recipe, "batches": batches, "device": device, "loader": loader}
    loader_attributes = {
        "has no attribute 'dataset'": "loader_attributes",
        "has no attribute 'batch_size'": "loader_attributes",
    }
    got = probe_naming_errors(
        learner, "train_epoch", example, loader_attributes, mode=mode, **kwargs
    )
    return got, example


def expect_state(got: dict, want: dict, message: str, mistakes: dict, example: dict) -> None:
    """Fail unless the state_dict after the epoch is `want`: the first entry that differs, whole."""
    if same(got["state"], want, RTOL, ATOL):
        return
    path, got_part, want_part = difference(got["state"], want, RTOL, ATOL) or ("", None, None)
    fail(
        say(message, part=f"model.state_dict(){path}", sizes=str(got["sizes"])),
        expected=want_part,
        got=got_part,
        example=example,
        mistake=which_mistake(got["state"], mistakes, RTOL, ATOL),
    )


def epoch_mistakes(recipe: dict, batches: list) -> dict:
    """The model's state_dict after an epoch with each mistake, as predicted here."""
    return {
        "return_inside_loop": simulate(recipe, batches[:1])[1] if len(batches) > 1 else None,
        # A step written out inside the loop, without clearing the gradients.
        "no_zero_grad": simulate(recipe, batches, WRONG_ORDERS[0][1])[1],
    }


@st.composite
def epoch_sizes(draw: Any, smallest: int = 1, unequal: bool = False) -> list[int]:
    """Batch sizes as a DataLoader gives them: equal, except maybe a smaller last one."""
    size = draw(st.integers(max(smallest, 2 if unequal else 1), 4))
    full = draw(st.integers(1 if unequal else 0, 3))
    last = draw(st.integers(smallest, size - 1 if unequal else size))
    return [size] * full + [last]


@check("train_epoch_every_batch", devices="all")
@given(recipe=recipes(), sizes=epoch_sizes(), loader=st.sampled_from(["list", "dataloader"]))
def test_train_epoch_every_batch(learner, device, recipe, sizes, loader):
    batches = make_batches(recipe, sizes)
    got, example = run_epoch(learner, device, recipe, batches, loader, "train")
    _, want = simulate(recipe, batches)
    if not same(got["state"], want, RTOL, ATOL):
        mistakes = epoch_mistakes(recipe, batches)
        expect_state(got, want, "epoch_differs", mistakes, example)


@check("train_epoch_train_mode", devices="all")
@given(
    recipe=recipes(archs=("bn_mlp",)),
    sizes=epoch_sizes(smallest=2),
    loader=st.sampled_from(["list", "dataloader"]),
)
def test_train_epoch_train_mode(learner, device, recipe, sizes, loader):
    batches = make_batches(recipe, sizes)
    try:
        got, example = run_epoch(learner, device, recipe, batches, loader, "eval")
    except (LearnerRaised, CheckFailure):
        if loader == "dataloader":
            raise
        # This check is about the mode, not the loader: a train_epoch that cannot take a plain
        # list loses the checks that need one (every_batch, mean_loss), and is asked again here.
        got, example = run_epoch(learner, device, recipe, batches, "dataloader", "eval")
    _, want = simulate(recipe, batches)
    if all(got["modes"]) and same(got["state"], want, RTOL, ATOL):
        return
    _, in_eval = simulate(recipe, batches, train=False)
    if not all(got["modes"]) or same(got["state"], in_eval, RTOL, ATOL):
        fail(
            say("trained_in_eval_mode"),
            expected=[True] * len(got["modes"]),
            got=got["modes"],
            example=example,
            mistake="no_train_mode",
        )
    expect_state(got, want, "epoch_differs_in_train_mode", epoch_mistakes(recipe, batches), example)


@check("train_epoch_mean_loss", devices="all")
@given(
    recipe=recipes(),
    sizes=epoch_sizes(unequal=True),
    loader=st.sampled_from(["list", "dataloader"]),
)
def test_train_epoch_mean_loss(learner, device, recipe, sizes, loader):
    batches = make_batches(recipe, sizes)
    got, example = run_epoch(learner, device, recipe, batches, loader, "train")
    losses = [s["loss"] for s in simulate(recipe, batches)[0]]
    want = sum(loss * n for loss, n in zip(losses, sizes, strict=True)) / sum(sizes)
    value = expect_float(got["value"], "train_epoch", example)
    if not same(value, want, RTOL, ATOL):
        weighted_sum = sum(loss * n for loss, n in zip(losses, sizes, strict=True))
        predicted = [
            ("unweighted_mean", sum(losses) / len(losses)),
            ("sum_not_mean", sum(losses)),
            ("sum_not_mean", weighted_sum),
            ("return_inside_loop", losses[0]),
            ("returned_last_loss", losses[-1]),
        ]
        # A step written out inside the loop without clearing gradients trains, and so
        # measures, differently.
        leaky = [s["loss"] for s in simulate(recipe, batches, WRONG_ORDERS[0][1])[0]]
        predicted.append(
            ("no_zero_grad", sum(v * n for v, n in zip(leaky, sizes, strict=True)) / sum(sizes))
        )
        fail(
            say("mean_loss_differs", losses=str([round(v, 6) for v in losses]), sizes=str(sizes)),
            expected=want,
            got=value,
            example=example,
            mistake=which_mistake(value, predicted, RTOL, ATOL),
        )
