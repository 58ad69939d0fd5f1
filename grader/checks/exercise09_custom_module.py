"""Hidden checks for exercise 9: Affine, count_parameters and freeze.

Affine is judged by what it registers, how it moves and what it computes from its own weight
and bias (with torch.nn.functional.linear and autograd as the reference); its starting values
by their range and spread, never by a particular random sequence. Models for count_parameters
and freeze are built on both sides from the same plain-data recipe.
"""

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
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
    raised,
    type_name,
    which_mistake,
)
from grader.recipes.exercise09_custom_module import build_frozen
from grader.sandbox.proxy import LearnerRaised

say = messages(__name__)

features = st.integers(1, 6)
KEYS = ["enc", "encoder", "dec", "head", "body"]


def small_values(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Whole numbers stored as float, so that a counterexample reads 1.0, -2.0."""
    return torch.randint(-3, 4, shape, generator=generator).float()


def affine_probe(learner, probe: str, example: dict, **kwargs) -> dict:
    """Run an Affine probe; a module whose Module.__init__ never ran fails with its diagnosis."""
    got = probe_naming_errors(
        learner, probe, example, {"Module.__init__()": "missing_super_init"}, **kwargs
    )
    if got.get("is_module") is False:
        fail(say("not_a_module"), example=example)
    if got.get("initialized") is False:
        fail(say("no_super_init"), mistake="missing_super_init", example=example)
    return got


def describe(facts: dict) -> Code:
    """An attribute as the probe saw it, as code: nn.Parameter(shape=..., dtype=..., device=...)."""
    kind = facts.get("kind")
    if kind in ("parameter", "tensor"):
        what = "nn.Parameter" if kind == "parameter" else "torch.Tensor"
        shape = tuple(facts["shape"])
        return Code(f"{what}(shape={shape}, dtype={facts['dtype']}, device={facts['device']})")
    return Code("None" if kind == "none" else str(facts.get("type")))


def plain_tensor_attributes(facts: dict) -> list[str]:
    """Which of weight and bias are ordinary tensors instead of nn.Parameters."""
    return [n for n in ("weight", "bias") if facts.get(n, {}).get("kind") == "tensor"]


def structure_mistake(facts: dict, in_features: int, out_features: int) -> str | None:
    """The known mistake that explains wrongly registered parameters, if any."""
    params = {name: shape for name, shape, _ in facts["parameters"]}
    if plain_tensor_attributes(facts):
        return "plain_tensors"
    if in_features != out_features and params.get("weight") == [in_features, out_features]:
        return "transposed_weight"
    if [out_features, in_features] in params.values() and "weight" not in params:
        return "wrong_parameter_names"
    return None


@check("affine_registers_parameters")
@given(in_features=features, out_features=features)
def test_affine_registers_parameters(learner, in_features, out_features):
    example = {"in_features": in_features, "out_features": out_features}
    # Built without bias=: the signature's default (True) gives a bias, as nn.Linear does.
    got = affine_probe(learner, "affine_structure", example, **example, bias=None)
    params = {name: shape for name, shape, _ in got["parameters"]}
    want = {"weight": [out_features, in_features], "bias": [out_features]}
    if params == {"weight": want["weight"]}:
        fail(
            say("bias_default_off", in_features=in_features, out_features=out_features),
            expected=want,
            got=params,
            mistake="bias_default_off",
            example=example,
        )
    if params == want and got["state_dict"] == want:
        frozen = [name for name, _, flag in got["parameters"] if not flag]
        if frozen:
            fail(say("frozen_parameters"), got=frozen, example=example)
        return
    plain = plain_tensor_attributes(got)
    sizes = {"in_features": in_features, "out_features": out_features}
    fail(
        say("registers_plain", **sizes, names=" and ".join(plain))
        if plain
        else say("registers", **sizes),
        expected=want,
        got=params if params != want else got["state_dict"],
        mistake=structure_mistake(got, in_features, out_features),
        example=example,
    )


@check("affine_without_bias")
@given(in_features=features, out_features=features)
def test_affine_without_bias(learner, in_features, out_features):
    example = {"in_features": in_features, "out_features": out_features, "bias": False}
    got = affine_probe(learner, "affine_structure", example, **example)
    params = {name: shape for name, shape, _ in got["parameters"]}
    kept = "bias" in params or got["bias"]["kind"] in ("parameter", "tensor")
    if got["bias"]["kind"] == "missing":
        fail(say("bias_not_defined"), mistake="no_bias_attribute", example=example)
    if kept or got["bias"]["kind"] != "none":
        fail(
            say("bias_not_none"),
            expected=Code("None"),
            got=describe(got["bias"]),
            mistake="bias_ignored" if kept else "no_bias_attribute",
            example=example,
        )
    if params != {"weight": [out_features, in_features]}:
        fail(
            say("only_weight"),
            expected={"weight": [out_features, in_features]},
            got=params,
            mistake=structure_mistake(got, in_features, out_features),
            example=example,
        )


def expect_weight(got: dict, in_features: int, out_features: int, example: dict) -> torch.Tensor:
    """The learner's weight, failing unless it has shape (out_features, in_features)."""
    weight = expect_type(got["weight"], torch.Tensor, say("affine_weight"), example)
    if list(weight.shape) != [out_features, in_features]:
        fail(
            say("weight_shape"),
            expected=(out_features, in_features),
            got=tuple(weight.shape),
            mistake="transposed_weight" if in_features != out_features else None,
            example=example,
        )
    return weight


@check("affine_forward", devices="all")
@given(
    in_features=features,
    out_features=features,
    bias=st.booleans(),
    leading=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 999),
)
def test_affine_forward(learner, device, in_features, out_features, bias, leading, dtype, seed):
    x = small_values((*leading, in_features), torch.Generator().manual_seed(seed))
    example = {"in_features": in_features, "out_features": out_features, "bias": bias, "x": x}
    if dtype == "float64":
        example["model"] = Code("Affine(...).double(), x.double()")
    kwargs = {"in_features": in_features, "out_features": out_features, "bias": bias}
    try:
        got = affine_probe(
            learner, "affine_forward", example, **kwargs, x=x, dtype=dtype, device=device, seed=seed
        )
    except LearnerRaised as error:
        # Explain the learner's exception when its cause is one of the known mistakes.
        facts = affine_probe(learner, "affine_structure", example, **kwargs)
        if plain_tensor_attributes(facts):
            fail(raised(error), mistake="plain_tensors", example=example)
        if x.dim() != 2 and "matri" in error.message:
            fail(raised(error), mistake="needs_2d_input", example=example)
        raise
    weight = expect_weight(got, in_features, out_features, example)
    own_bias = got["bias"] if type(got["bias"]) is torch.Tensor else None
    x = x.to(weight.dtype)
    want = F.linear(x, weight, own_bias)
    out = expect_type(got["out"], torch.Tensor, say("affine_forward"), example)
    expect_same(
        out,
        want,
        say("forward_compared"),
        example=example,
        mistakes={"bias_not_added": F.linear(x, weight) if own_bias is not None else None},
        rtol=1e-4,
    )
    if got["out_device"] != device:
        fail(
            say("output_device"),
            expected=Code(device),
            got=Code(str(got["out_device"])),
            example=example,
        )


@check("affine_moves_with_to")
@given(in_features=features, out_features=features, bias=st.booleans())
def test_affine_moves_with_to(learner, in_features, out_features, bias):
    example = {"in_features": in_features, "out_features": out_features, "bias": bias}
    got = affine_probe(learner, "affine_moves", example, **example)
    for step, dtype, device in (("double", "float64", "cpu"), ("meta", "float64", "meta")):
        facts = got[step]
        moved = {n: facts[n] for n in ("weight", "bias")[: 1 + bias]}
        stayed = [
            n for n, f in moved.items() if [f.get("dtype"), f.get("device")] != [dtype, device]
        ]
        stayed += [n for n, f in facts["parameters"].items() if f != [dtype, device]]
        if stayed:
            call = "model.double()" if step == "double" else "model.double().to('meta')"
            fail(
                say("not_moved", call=call, dtype=dtype, device=device),
                got={n: describe(f) for n, f in moved.items()},
                mistake="plain_tensors" if plain_tensor_attributes(facts) else None,
                example=example,
            )


def init_problem(values: torch.Tensor, in_features: int, spread: float) -> str | None:
    """Which init mistake `values` show ("" for an unnamed one); None if they look right."""
    bound = in_features**-0.5
    top = float(values.abs().max())
    if values.unique().numel() == 1:
        return "constant_init"
    if values.min() >= 0:
        return "rand_not_centered"
    if top > bound * (1 + 1e-6):
        # A bell-shaped sample has a mean |value| far below its largest one; a uniform one, half.
        return "randn_init" if float(values.abs().mean()) < 0.4 * top else "wrong_bound"
    if values.max() < spread * bound or values.min() > -spread * bound:
        return "bound_one_over_in" if top <= 1.000001 / in_features else "wrong_bound"
    # Uniform on (-bound, bound): mean |value| / bound is 1/2, with standard error 0.29/sqrt(n).
    if abs(float((values.abs() / bound).mean()) - 0.5) > 6 * 0.29 / values.numel() ** 0.5:
        return ""
    return None


@check("affine_init_range")
@given(in_features=st.integers(16, 64), out_features=st.integers(64, 96), seed=st.integers(0, 999))
def test_affine_init_range(learner, in_features, out_features, seed):
    example = {"in_features": in_features, "out_features": out_features}
    got = affine_probe(learner, "affine_init", example, **example, seed=seed)
    bound = in_features**-0.5
    for name, spread in (("weight", 0.8), ("bias", 0.5)):
        values = expect_type(got[name], torch.Tensor, say("affine_parameter", name=name), example)
        problem = init_problem(values.double(), in_features, spread)
        if problem is not None:
            fail(
                say(
                    "init_range",
                    name=name,
                    bound=f"{bound:.4f}",
                    in_features=in_features,
                    count=values.numel(),
                    low=f"{values.min():.4f}",
                    high=f"{values.max():.4f}",
                    mean=f"{values.abs().mean():.4f}",
                    half=f"{bound / 2:.4f}",
                ),
                mistake=problem or None,
                example=example,
            )


@check("affine_backward")
@given(
    in_features=features,
    out_features=features,
    bias=st.booleans(),
    rows=st.integers(1, 4),
    seed=st.integers(0, 999),
)
def test_affine_backward(learner, in_features, out_features, bias, rows, seed):
    generator = torch.Generator().manual_seed(seed)
    x = small_values((rows, in_features), generator)
    upstream = small_values((rows, out_features), generator)
    kwargs = {"in_features": in_features, "out_features": out_features, "bias": bias}
    example = {**kwargs, "x": x, "upstream": upstream, "loss": Code("(Affine(x) * upstream).sum()")}
    got = affine_probe(
        learner, "affine_backward", example, **kwargs, x=x, upstream=upstream, seed=seed
    )
    if got["out_shape"] != [rows, out_features]:
        fail(
            say("output_shape"),
            expected=(rows, out_features),
            got=tuple(got["out_shape"]),
            example=example,
        )
    if not got["out_requires_grad"]:
        fail(
            say("output_without_grad"),
            mistake="plain_tensors",
            example=example,
        )
    weight = expect_weight(got, in_features, out_features, example).clone().requires_grad_()
    own_bias = got["bias"].clone().requires_grad_() if type(got["bias"]) is torch.Tensor else None
    (F.linear(x, weight, own_bias) * upstream).sum().backward()
    for name, param in (("weight", weight), ("bias", own_bias)):
        if param is None:
            continue
        grad = got[name + "_grad"]
        if grad is None:
            fail(
                say("grad_none", name=name),
                mistake="bias_not_added" if name == "bias" else None,
                example=example,
            )
        expect_same(grad, param.grad, f"{name}.grad", example=example, rtol=1e-4)


def layer(kind: str, **fields: st.SearchStrategy) -> st.SearchStrategy:
    """Recipes of one layer of `kind` with its fields drawn from `fields`."""
    return st.fixed_dictionaries({"kind": st.just(kind), **fields})


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    """nn.Sequential and nn.ModuleDict recipes holding 1 to 3 of `children`."""
    return st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"kind": "seq", "children": c}),
        st.dictionaries(st.sampled_from(KEYS), children, min_size=1, max_size=3).map(
            lambda c: {"kind": "dict", "children": c}
        ),
    )


small = st.integers(1, 4)
LEAVES = st.one_of(
    layer("linear", **{"in": small, "out": small, "bias": st.booleans()}),
    layer("conv", **{"in": small, "out": small, "k": st.integers(1, 3), "bias": st.booleans()}),
    layer("embedding", num=small, dim=small),
    layer("batchnorm", n=small),
    layer("relu"),
)
# Two levels of containers give names such as "enc.0.weight" and "1.head.bias"; built once,
# since constructing a strategy costs more than drawing from it (st.recursive, twice as much).
RECIPES = containers(st.one_of(LEAVES, containers(LEAVES)))
# What `models` and `prefixes` draw from, built once too: a strategy built inside a composite is
# built, checked and looked up again for every example.
BOOLEANS = st.booleans()
DICE_ROLLS = st.integers(0, 3)
FIXED_PREFIXES = st.sampled_from(["", "weight", "bias", "0", "1.", "enc", "head.0"])


@st.composite
def models(draw: st.DrawFn) -> tuple[dict, list[str], list[str]]:
    """A recipe, the names of its parameters, and some of them frozen beforehand."""
    recipe = draw(RECIPES, label="recipe")
    names = [name for name, _ in build_frozen(recipe, []).named_parameters()]
    frozen = [n for n in names if draw(BOOLEANS)]
    return recipe, names, frozen


def count_example(recipe: dict, frozen: list[str]) -> dict:
    """The model of a count/freeze example, printed the way a learner would build it."""
    return {"model": " ".join(str(build_frozen(recipe, [])).split()), "frozen before": frozen}


def count_predictions(recipe: dict, frozen: list[str], trainable_only: bool) -> dict:
    """The right count and what each known wrong count gives, computed with torch."""
    model = build_frozen(recipe, frozen)
    counted = [p for p in model.parameters() if p.requires_grad or not trainable_only]
    return {
        "right": sum(p.numel() for p in counted),
        "ignores_trainable_only": sum(p.numel() for p in model.parameters()),
        "counts_tensors": len(counted),
        "len_not_numel": sum(len(p) for p in counted),
        "counts_buffers": sum(v.numel() for v in model.state_dict().values()),
    }


# One model on which every known wrong count gives a different number, to tell them apart.
CANONICAL_LAYERS = [("linear", {"in": 3, "out": 5, "bias": True}), ("batchnorm", {"n": 4})]
CANONICAL_LAYERS += [("embedding", {"num": 7, "dim": 2})]
CANONICAL = {"kind": "seq", "children": [{"kind": k, **f} for k, f in CANONICAL_LAYERS]}


def expect_count(learner, recipe: dict, frozen: list[str], trainable_only: bool | None) -> None:
    """Fail unless count_parameters gives the right count for this model and flag."""
    flag = True if trainable_only is None else trainable_only
    shown = "(default)" if trainable_only is None else trainable_only
    example = {**count_example(recipe, frozen), "trainable_only": shown}
    kwargs: dict[str, Any] = {"recipe": recipe, "frozen": frozen, "trainable_only": trainable_only}
    got = expect_type(learner.probe("count_parameters", **kwargs), int, "count_parameters")
    predicted = count_predictions(recipe, frozen, flag)
    if got == predicted["right"]:
        return
    matches = {k for k, v in predicted.items() if v == got and k != "right"}
    if len(matches) > 1:
        # Small models make different mistakes give the same number: ask a model that doesn't.
        canonical = {**kwargs, "recipe": CANONICAL, "frozen": ["0.bias", "2.weight"]}
        answer = learner.probe("count_parameters", **canonical)
        again = count_predictions(CANONICAL, canonical["frozen"], flag)
        matches = {k for k in matches if again[k] == answer}
    fail(
        say("count_differs"),
        expected=predicted["right"],
        got=got,
        mistake=matches.pop() if len(matches) == 1 else None,
        example=example,
    )


@check("count_parameters_all")
@given(model=models())
def test_count_parameters_all(learner, model):
    recipe, _, frozen = model
    expect_count(learner, recipe, frozen, False)


@check("count_parameters_trainable")
@given(model=models(), explicit=st.booleans())
def test_count_parameters_trainable(learner, model, explicit):
    recipe, _, frozen = model
    expect_count(learner, recipe, frozen, True if explicit else None)


@st.composite
def prefixes(draw: st.DrawFn, names: list[str]) -> str:
    """A prefix of a parameter name, a piece from its middle, or a telling fixed string."""
    if not names or draw(DICE_ROLLS) == 0:
        return draw(FIXED_PREFIXES)
    name = draw(st.sampled_from(names))
    start = 0 if draw(BOOLEANS) else draw(st.integers(0, len(name) - 1))
    return name[start : draw(st.integers(start + 1, len(name)))]


@check("freeze_returns_names")
@given(model=models(), data=st.data())
def test_freeze_returns_names(learner, model, data):
    recipe, names, frozen = model
    prefix = data.draw(prefixes(names), label="prefix")
    example = {**count_example(recipe, frozen), "prefix": prefix}
    got = learner.probe("freeze", recipe=recipe, frozen=frozen, prefix=prefix)["names"]
    if type(got) not in (list, tuple):
        fail(say("freeze_not_a_list", kind=type_name(got)), got=got, example=example)
    want = [n for n in names if n.startswith(prefix)]
    expect_same(
        list(got),
        want,
        f"freeze(model, {prefix!r})",
        example=example,
        mistakes={
            "uses_in": [n for n in names if prefix in n],
            "names_sorted": sorted(want),
            "skipped_already_frozen": [n for n in want if n not in frozen],
        },
    )


@check("freeze_sets_requires_grad")
@given(model=models(), data=st.data())
def test_freeze_sets_requires_grad(learner, model, data):
    recipe, names, frozen = model
    prefix = data.draw(prefixes(names), label="prefix")
    example = {**count_example(recipe, frozen), "prefix": prefix}
    got = learner.probe("freeze", recipe=recipe, frozen=frozen, prefix=prefix)["requires_grad"]
    got = {name: flag for name, flag in got}
    want = {n: not (n.startswith(prefix) or n in frozen) for n in names}
    if got == want:
        return
    wrong = [n for n in names if got.get(n) != want[n]]
    mistakes = {
        "module_attribute_not_parameters": {n: n not in frozen for n in names},
        "uses_in": {n: not (prefix in n or n in frozen) for n in names},
        "unfroze_others": {n: not n.startswith(prefix) for n in names},
    }
    fail(
        say("freeze_flags", prefix=prefix),
        expected={n: want[n] for n in wrong},
        got={n: got.get(n) for n in wrong},
        mistake=which_mistake(got, mistakes),
        example=example,
    )
