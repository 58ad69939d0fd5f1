"""Hidden checks for exercise 14: finetune_optimizer, sgd_step, scale_learning_rates.

Parameter trajectories are recomputed here with torch.optim.SGD on the same recipes
(`build_step_net`, `build_scale_setup`) that the probes run with the learner's code.
"""

import math
from collections import Counter

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import check, expect_type, fail, same, show, which_mistake
from grader.probes.exercise14_optimizers import (
    FineTuneNet,
    build_scale_setup,
    build_step_net,
    scale_step,
    step_batches,
    step_loss,
)
from grader.sandbox.proxy import LearnerRaised

FEATURES_LR = 1e-5
CLASSIFIER_LR = 1e-2


def tolerance(device: str) -> dict:
    """How close parameters must be to torch's SGD on the CPU."""
    return {"rtol": 1e-5, "atol": 1e-6} if device == "cpu" else {"rtol": 1e-4, "atol": 1e-5}


def close(a: object, b: float) -> bool:
    """Whether a learning rate read back from the worker equals `b` (to float rounding)."""
    return type(a) is float and math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def sgd_trajectory(seed: int, lr: float, steps: int, clear: bool) -> list[list[torch.Tensor]]:
    """The parameters after each step of torch's SGD (grads cleared between steps or not)."""
    with torch.random.fork_rng(devices=[]):
        net = build_step_net(seed)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    trajectory = []
    for x, y in step_batches(seed, steps):
        if clear:
            optimizer.zero_grad(set_to_none=True)
        step_loss(net, x, y).backward()
        optimizer.step()
        trajectory.append([p.detach().clone() for p in net.parameters()])
    return trajectory


def start_params(seed: int) -> list[torch.Tensor]:
    """The step network's parameters before any step."""
    with torch.random.fork_rng(devices=[]):
        return [p.detach().clone() for p in build_step_net(seed).parameters()]


def _sgd_steps(learner, case: dict, device: str) -> dict:
    """Run the sgd_step probe; diagnose the errors a hand-written step typically raises."""
    example = _step_example(case)
    try:
        return learner.probe("sgd_step", **case, device=device)
    except LearnerRaised as raised:
        if "leaf Variable that requires grad" in raised.message:
            fail(
                f"sgd_step raised {raised.type_name}: {raised.message}",
                mistake="inplace_without_no_grad",
                example=example,
            )
        if raised.is_a("TypeError") and "NoneType" in raised.message:
            fail(
                f"sgd_step raised {raised.type_name}: {raised.message} (a parameter whose "
                "grad is None was not skipped)",
                mistake="no_none_check",
                example=example,
            )
        raise


def _step_example(case: dict) -> dict:
    kind = "model.parameters() (a generator)" if case["as_generator"] else "a list of parameters"
    return {
        "params": f"{kind} of a Linear net: one frozen layer, one unused layer",
        "lr": case["lr"],
        "steps": case["steps"],
    }


def _works_with_a_list(learner, case: dict) -> bool:
    """Whether the same steps give the right trajectory when params is a list."""
    as_list = {**case, "as_generator": False}
    got = learner.probe("sgd_step", **as_list, device="cpu")
    want = sgd_trajectory(case["seed"], case["lr"], case["steps"], clear=True)
    return same(got["trajectory"], want, rtol=1e-5, atol=1e-6)


step_cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 99),
        "lr": st.sampled_from([0.01, 0.05, 0.1, 0.3]),
        "steps": st.integers(1, 4),
        "as_generator": st.booleans(),
    }
)


@check("sgd_step_trajectory", devices="all")
@given(case=step_cases)
def test_sgd_step_trajectory(learner, device, case):
    example = _step_example(case)
    got = _sgd_steps(learner, case, device)
    if got["stopped"]:
        fail(
            "after sgd_step no parameter requires grad any more, so the next loss.backward() "
            "has nothing to differentiate.",
            mistake="requires_grad_changed",
            example=example,
        )
    want = sgd_trajectory(case["seed"], case["lr"], case["steps"], clear=True)
    trajectory = got["trajectory"]
    if same(trajectory, want, **tolerance(device)):
        return
    start = start_params(case["seed"])
    mistake = which_mistake(
        trajectory,
        {
            "rebinding": [start] * case["steps"],
            "grad_not_cleared": sgd_trajectory(case["seed"], case["lr"], case["steps"], False),
        },
        **tolerance(device),
    )
    if mistake == "grad_not_cleared" and case["as_generator"] and _works_with_a_list(learner, case):
        mistake = "generator_consumed"
    step = next(
        (i for i, (a, b) in enumerate(zip(trajectory, want, strict=False)) if not same(a, b)),
        min(len(trajectory), len(want)),
    )
    fail(
        f"after step {step + 1} the parameters differ from torch.optim.SGD(params, lr={case['lr']})"
        f"'s.\n  expected: {show(want[step] if step < len(want) else None)}"
        f"\n  got:      {show(trajectory[step] if step < len(trajectory) else None)}",
        mistake=mistake,
        example=example,
    )


@check("sgd_step_clears_grads")
@given(case=step_cases)
def test_sgd_step_clears_grads(learner, case):
    example = _step_example(case)
    got = _sgd_steps(learner, case, "cpu")
    for step, after in enumerate(got["after"], start=1):
        if all(after["grad_none"]):
            continue
        left = [i for i, none in enumerate(after["grad_none"]) if not none]
        if same(got["trajectory"][0], start_params(case["seed"])):
            mistake = "rebinding"
        elif all(after["grad_zero"][i] for i in left):
            mistake = "grad_zeroed_not_none"
        elif case["as_generator"] and _works_with_a_list(learner, case):
            mistake = "generator_consumed"
        else:
            mistake = "grad_not_cleared"
        fail(
            f"after sgd_step (step {step}), {len(left)} parameters still have a .grad; every "
            "gradient should be set to None.",
            mistake=mistake,
            example=example,
        )


@check("sgd_step_keeps_parameters")
@given(case=step_cases)
def test_sgd_step_keeps_parameters(learner, case):
    example = _step_example(case)
    got = _sgd_steps(learner, case, "cpu")
    with torch.random.fork_rng(devices=[]):
        flags = [p.requires_grad for p in build_step_net(case["seed"]).parameters()]
    if got["stopped"]:
        fail(
            "after sgd_step no parameter requires grad any more.",
            mistake="requires_grad_changed",
            example=example,
        )
    for step, after in enumerate(got["after"], start=1):
        if after["requires_grad"] != flags:
            fail(
                f"after step {step}, requires_grad of the parameters is {after['requires_grad']}"
                f"; it was {flags} before.",
                mistake="requires_grad_changed",
                example=example,
            )
        if not (after["same_objects"] and all(after["is_parameter"]) and all(after["is_leaf"])):
            fail(
                f"after step {step} the model's parameters are not the same leaf nn.Parameters "
                "any more: the update was recorded in the graph or replaced a parameter.",
                example=example,
            )


def _finetune(learner, width: int, classes: int, seed: int) -> tuple[dict, set, set]:
    """The probe's facts and the names of net.features' and net.classifier's parameters."""
    example = {"net": f"features: Conv2d(3, {width}, 3)...; classifier: ...Linear(8, {classes})"}
    try:
        got = learner.probe("finetune", width=width, classes=classes, seed=seed)
    except LearnerRaised as raised:
        if "more than one parameter group" in raised.message:
            fail(
                f"finetune_optimizer raised {raised.type_name}: {raised.message}",
                mistake="param_in_two_groups",
                example=example,
            )
        raise
    with torch.random.fork_rng(devices=[]):
        net = FineTuneNet(width, classes)
    features = {f"features.{n}" for n, _ in net.features.named_parameters()}
    classifier = {f"classifier.{n}" for n, _ in net.classifier.named_parameters()}
    if not got["is_sgd"]:
        fail(
            f"finetune_optimizer returned a {got['type']}, not a torch.optim.SGD.",
            expected="torch.optim.SGD",
            got=got["type"],
            mistake="not_sgd",
            example=example,
        )
    return got, features, classifier


net_sizes = {"width": st.integers(2, 6), "classes": st.integers(2, 5), "seed": st.integers(0, 9)}


@check("finetune_groups")
@given(**net_sizes)
def test_finetune_groups(learner, width, classes, seed):
    got, features, classifier = _finetune(learner, width, classes, seed)
    groups = [set(g["params"]) for g in got["groups"]]
    counts = Counter(name for g in got["groups"] for name in g["params"])
    listed = [list(g["params"]) for g in got["groups"]]
    twice = sorted(name for name, n in counts.items() if n > 1)
    if twice:
        fail(
            f"these parameters appear more than once: {twice}",
            got=listed,
            mistake="param_in_two_groups",
        )
    missing = sorted((features | classifier) - set(counts))
    if missing:
        fail(
            f"these parameters of net are in no group: {missing}",
            got=listed,
            mistake="missing_parameters",
        )
    if len(groups) == 1:
        fail(
            "the optimizer has one parameter group, so features and classifier share one "
            "learning rate; it needs two groups.",
            got=listed,
            mistake="one_group",
        )
    if sorted(groups, key=len) != sorted([features, classifier], key=len) or len(groups) != 2:
        fail(
            "expected two groups, one with exactly the parameters of net.features and one "
            f"with exactly those of net.classifier; got {len(groups)} groups: {listed}",
            expected=[sorted(features), sorted(classifier)],
            got=listed,
            mistake="mixed_groups",
        )


@check("finetune_learning_rates")
@given(**net_sizes)
def test_finetune_learning_rates(learner, width, classes, seed):
    got, features, classifier = _finetune(learner, width, classes, seed)
    groups = got["groups"]
    feature_group = next((g for g in groups if features & set(g["params"])), None)
    classifier_group = next((g for g in groups if classifier & set(g["params"])), None)
    if feature_group is None or classifier_group is None or feature_group is classifier_group:
        fail(
            "features and classifier need a parameter group each before they can have their "
            "own learning rates.",
            got=[g["params"] for g in groups],
            mistake="one_group" if len(groups) == 1 else "missing_parameters",
        )
    lrs = {"features": feature_group["lr"], "classifier": classifier_group["lr"]}
    want = {"features": FEATURES_LR, "classifier": CLASSIFIER_LR}
    default = got["defaults_lr"]
    if close(lrs["features"], FEATURES_LR) and close(lrs["classifier"], CLASSIFIER_LR):
        if close(default, FEATURES_LR):
            return
        fail(
            f"the groups' rates are right, but the optimizer's default lr is {show(default)}, "
            f"not {FEATURES_LR}: the features group should get its lr from the default.",
            expected=FEATURES_LR,
            got=default,
            mistake="default_lr_not_set",
        )
    if close(lrs["features"], CLASSIFIER_LR) and close(lrs["classifier"], FEATURES_LR):
        mistake = "swapped_lrs"
    elif not close(lrs["features"], FEATURES_LR) and close(default, lrs["features"]):
        mistake = "missing_default_lr"
    else:
        mistake = None
    fail(
        f"the groups' learning rates are {lrs}; expected {want}.",
        expected=want,
        got=lrs,
        mistake=mistake,
    )


@st.composite
def scale_cases(draw: st.DrawFn) -> dict:
    """Two or three groups with different lrs, a different default lr, one or two factors."""
    lrs = draw(
        st.lists(st.sampled_from([0.1, 0.01, 0.05, 0.2, 0.003]), min_size=2, max_size=3).filter(
            lambda v: len(set(v)) == len(v)
        )
    )
    return {
        "seed": draw(st.integers(0, 99)),
        "lrs": lrs,
        "default_lr": 0.07,
        "factors": draw(
            st.lists(st.sampled_from([0.5, 0.1, 2.0, 0.3, 3.0]), min_size=1, max_size=2)
        ),
    }


def scaled(lrs: list[float], factors: list[float], groups: slice = slice(None)) -> list[float]:
    """`lrs` with those in `groups` multiplied by each factor in turn."""
    out = list(lrs)
    for i in range(len(out))[groups]:
        for factor in factors:
            out[i] = out[i] * factor
    return out


def _scale_example(case: dict) -> dict:
    groups = ", ".join(f"{{'params': layer{i}, 'lr': {lr}}}" for i, lr in enumerate(case["lrs"]))
    calls = "; ".join(f"scale_learning_rates(opt, {f})" for f in case["factors"])
    return {"optimizer": f"SGD([{groups}], lr={case['default_lr']})", "calls": calls}


def _unchanged(got: dict, case: dict) -> str:
    """The mistake of groups left at their old rates: was the default scaled instead?"""
    default_moved = not close(got["defaults_lr"], case["default_lr"])
    return "scaled_defaults_only" if default_moved else "changed_a_copy"


@check("scale_learning_rates_groups")
@given(case=scale_cases())
def test_scale_learning_rates_groups(learner, case):
    got = learner.probe("scale", **case, device="cpu")
    want = scaled(case["lrs"], case["factors"])
    rates = got["group_lrs"]
    if len(rates) == len(want) and all(close(a, b) for a, b in zip(rates, want, strict=True)):
        return
    predictions = {
        _unchanged(got, case): case["lrs"],
        "first_group_only": scaled(case["lrs"], case["factors"], slice(0, 1)),
        "set_instead_of_scale": [case["factors"][-1]] * len(case["lrs"]),
    }
    fail(
        f"the groups' learning rates are {rates}; expected {want}.",
        expected=want,
        got=rates,
        mistake=which_mistake(rates, predictions, rtol=1e-9, atol=0.0),
        example=_scale_example(case),
    )


def scale_reference(case: dict, lrs: list[float]) -> list[torch.Tensor]:
    """The parameters after one torch SGD step of the scale setup with group rates `lrs`."""
    with torch.random.fork_rng(devices=[]):
        model, optimizer = build_scale_setup(case["seed"], lrs, case["default_lr"])
        scale_step(model, optimizer, case["seed"])
    return [p.detach().clone() for p in model.parameters()]


@check("scale_learning_rates_next_step", devices="all")
@given(case=scale_cases())
def test_scale_learning_rates_next_step(learner, device, case):
    got = learner.probe("scale", **case, device=device)
    params = got["after_step"]
    for p in params:
        expect_type(p, torch.Tensor, "a parameter", _scale_example(case))
    want = scale_reference(case, scaled(case["lrs"], case["factors"]))
    if same(params, want, **tolerance(device)):
        return
    mistake = which_mistake(
        params,
        {
            _unchanged(got, case): scale_reference(case, case["lrs"]),
            "first_group_only": scale_reference(
                case, scaled(case["lrs"], case["factors"], slice(0, 1))
            ),
        },
        **tolerance(device),
    )
    fail(
        "the next optimizer.step() did not use the scaled learning rates: the parameters after "
        "it differ from a step with every group's lr multiplied by the factors.",
        mistake=mistake,
        example=_scale_example(case),
    )
