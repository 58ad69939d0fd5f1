"""Hidden checks for exercise 14: finetune_optimizer, sgd_step, scale_learning_rates.

Parameter trajectories are recomputed here with torch.optim.SGD on the same recipes
(`build_step_net`, `build_scale_setup`) that the probes run with the learner's code. Factors
are powers of two, so scaled learning rates read as round decimals (0.1 * 0.5 = 0.05); the
words are in exercise14_optimizers.toml.
"""

import math
from collections import Counter

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import (
    Code,
    check,
    difference,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    tolerance,
    which_mistake,
)
from grader.recipes.exercise14_optimizers import (
    FineTuneNet,
    build_scale_setup,
    build_step_net,
    scale_step,
    step_batches,
    step_loss,
)

say = messages(__name__)

FEATURES_LR = 1e-5
CLASSIFIER_LR = 1e-2


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


def step_names(seed: int) -> list[str]:
    """The step network's parameter names, in order ("frozen.weight", ..., "unused.bias")."""
    with torch.random.fork_rng(devices=[]):
        return [name for name, _ in build_step_net(seed).named_parameters()]


# What a hand-written step raises: an in-place update of a leaf outside torch.no_grad(), or
# arithmetic with the None grad of a frozen or unused parameter.
STEP_ERRORS = {
    "leaf Variable that requires grad": "inplace_without_no_grad",
    "unsupported operand type": "no_none_check",
    "not NoneType": "no_none_check",
}


def _sgd_steps(learner, case: dict, device: str) -> dict:
    """Run the sgd_step probe; diagnose the errors a hand-written step typically raises."""
    example = _step_example(case)
    return probe_naming_errors(learner, "sgd_step", example, STEP_ERRORS, **case, device=device)


# The net of every step case: a frozen layer (its grads stay None) and one the loss never uses.
STEP_NET = (
    "nn.Module: frozen = nn.Linear(4, 6) (requires_grad False), hidden = nn.Linear(6, 5), "
    "out = nn.Linear(5, 2), unused = nn.Linear(3, 3)"
)


def _step_example(case: dict) -> dict:
    params = "net.parameters()" if case["as_generator"] else "list(net.parameters())"
    return {"net": Code(STEP_NET), "params": Code(params), "lr": case["lr"], "steps": case["steps"]}


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
        fail(say("stopped_backward"), mistake="requires_grad_changed", example=example)
    want = sgd_trajectory(case["seed"], case["lr"], case["steps"], clear=True)
    trajectory = got["trajectory"]
    rtol, atol = tolerance(device)
    if same(trajectory, want, rtol, atol):
        return
    start = start_params(case["seed"])
    mistake = which_mistake(
        trajectory,
        {
            "rebinding": [start] * case["steps"],
            "grad_not_cleared": sgd_trajectory(case["seed"], case["lr"], case["steps"], False),
        },
        rtol=rtol,
        atol=atol,
    )
    if mistake == "grad_not_cleared" and case["as_generator"] and _works_with_a_list(learner, case):
        mistake = "generator_consumed"
    step = next(
        (
            i
            for i, (a, b) in enumerate(zip(trajectory, want, strict=False))
            if not same(a, b, rtol, atol)
        ),
        min(len(trajectory), len(want)),
    )
    # The parameter that differs after that step, by its name, shown whole.
    names = step_names(case["seed"])
    mine = dict(zip(names, trajectory[step], strict=False)) if step < len(trajectory) else None
    theirs = dict(zip(names, want[step], strict=True)) if step < len(want) else None
    path, got_part, want_part = difference(mine, theirs, rtol, atol) or ("", mine, theirs)
    fail(
        say("trajectory", step=step + 1, lr=case["lr"], part=f"net.state_dict(){path}")
        if path
        else say("trajectory_all", step=step + 1, lr=case["lr"]),
        expected=want_part,
        got=got_part,
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
        names = step_names(case["seed"])
        if same(got["trajectory"][0], start_params(case["seed"])):
            mistake = "rebinding"
        elif all(after["grad_zero"][i] for i in left):
            mistake = "grad_zeroed_not_none"
        elif case["as_generator"] and _works_with_a_list(learner, case):
            mistake = "generator_consumed"
        else:
            mistake = "grad_not_cleared"
        fail(
            say("grads_left", step=step),
            expected=Code("None"),
            got=Code(", ".join(f"{names[i]}.grad" for i in left)),
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
        fail(say("stopped"), mistake="requires_grad_changed", example=example)
    names = step_names(case["seed"])
    for step, after in enumerate(got["after"], start=1):
        if after["requires_grad"] != flags:
            # Only the parameters whose flag changed, by name.
            changed = [
                i
                for i, (a, b) in enumerate(zip(after["requires_grad"], flags, strict=False))
                if a != b
            ]
            fail(
                say("requires_grad_changed", step=step),
                expected={f"{names[i]}.requires_grad": flags[i] for i in changed},
                got={f"{names[i]}.requires_grad": after["requires_grad"][i] for i in changed},
                mistake="requires_grad_changed",
                example=example,
            )
        if not (after["same_objects"] and all(after["is_parameter"]) and all(after["is_leaf"])):
            fail(say("not_same_parameters", step=step), example=example)


def _finetune(learner, width: int, classes: int, seed: int) -> tuple[dict, set, set]:
    """The probe's facts and the names of net.features' and net.classifier's parameters."""
    example = {
        "net.features": Code(
            f"nn.Sequential(nn.Conv2d(3, {width}, 3), nn.BatchNorm2d({width}), ...)"
        ),
        "net.classifier": Code(
            f"nn.Sequential(nn.Linear({width}, 8), nn.ReLU(), nn.Linear(8, {classes}))"
        ),
    }
    # torch: "some parameters appear in more than one parameter group"
    known = {"more than one parameter group": "param_in_two_groups"}
    got = probe_naming_errors(
        learner, "finetune", example, known, width=width, classes=classes, seed=seed
    )
    with torch.random.fork_rng(devices=[]):
        net = FineTuneNet(width, classes)
    features = {f"features.{n}" for n, _ in net.features.named_parameters()}
    classifier = {f"classifier.{n}" for n, _ in net.classifier.named_parameters()}
    if not got["is_sgd"]:
        fail(
            say("not_sgd"),
            expected=Code("torch.optim.SGD"),
            got=Code(str(got["type"])),
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
            say("params_twice", names=", ".join(twice)),
            got=listed,
            mistake="param_in_two_groups",
        )
    missing = sorted((features | classifier) - set(counts))
    if missing:
        fail(
            say("params_missing", names=", ".join(missing)),
            got=listed,
            mistake="missing_parameters",
        )
    if len(groups) == 1:
        fail(say("one_group"), got=listed, mistake="one_group")
    if sorted(groups, key=len) != sorted([features, classifier], key=len) or len(groups) != 2:
        fail(
            say("mixed_groups", count=len(groups)),
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
            say("groups_first"),
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
            say("default_lr"),
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
    fail(say("finetune_lrs"), expected=want, got=lrs, mistake=mistake)


# What `scale_cases` draws from, built once: a strategy built inside a composite is built, checked
# and looked up again for every example.
GROUP_LRS = st.lists(st.sampled_from([0.1, 0.01, 0.05, 0.2, 0.003]), min_size=2, max_size=3).filter(
    lambda v: len(set(v)) == len(v)
)
SEEDS = st.integers(0, 99)
# Powers of two: a scaled rate is exact and reads as a round decimal.
FACTORS = st.lists(st.sampled_from([0.5, 2.0, 0.25, 4.0]), min_size=1, max_size=2)


@st.composite
def scale_cases(draw: st.DrawFn) -> dict:
    """Two or three groups with different lrs, a different default lr, one or two factors."""
    lrs = draw(GROUP_LRS)
    return {
        "seed": draw(SEEDS),
        "lrs": lrs,
        "default_lr": 0.07,
        "factors": draw(FACTORS),
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
    calls = "; ".join(f"scale_learning_rates(optimizer, {f})" for f in case["factors"])
    return {"optimizer": Code(f"SGD([{groups}], lr={case['default_lr']})"), "calls": Code(calls)}


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
    first = next(
        (i for i, (a, b) in enumerate(zip(rates, want, strict=False)) if not close(a, b)),
        min(len(rates), len(want)),
    )
    fail(
        say("scaled_lrs", part=f"optimizer.param_groups[{first}]['lr']"),
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
    for i, p in enumerate(params):
        expect_type(p, torch.Tensor, f"list(model.parameters())[{i}]", _scale_example(case))
    want = scale_reference(case, scaled(case["lrs"], case["factors"]))
    rtol, atol = tolerance(device)
    if same(params, want, rtol, atol):
        return
    mistake = which_mistake(
        params,
        {
            _unchanged(got, case): scale_reference(case, case["lrs"]),
            "first_group_only": scale_reference(
                case, scaled(case["lrs"], case["factors"], slice(0, 1))
            ),
        },
        rtol=rtol,
        atol=atol,
    )
    # The first parameter that differs, by its index in the groups' order, shown whole.
    path, got_part, want_part = difference(params, want, rtol, atol) or ("", params, want)
    fail(
        say("next_step", part=f"list(model.parameters()){path}") if path else say("next_step_all"),
        expected=want_part,
        got=got_part,
        mistake=mistake,
        example=_scale_example(case),
    )
