"""Hidden checks for exercise 4: gradient and accumulated_grad on dynamic graphs.

The learner gets functions from the fixed table `FUNCTIONS` (imported here from
`grader.recipes`, never from the worker); the reference gradient is computed here with
`torch.autograd.grad`.
"""

import torch
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
    same,
    which_mistake,
)
from grader.recipes.exercise04_autograd import FUNCTIONS

say = messages(__name__)

RTOL, ATOL = 1e-4, 1e-5

names = st.sampled_from(sorted(FUNCTIONS))
params = st.sampled_from([-2.0, -0.5, 0.5, 1.5, 3.0])
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
dtypes = st.sampled_from([torch.float32, torch.float64])
seeds = st.integers(0, 999)

# Learner exceptions that are themselves the evidence of a known mistake.
KNOWN_ERRORS = {
    "does not require grad and does not have a grad_fn": "x_does_not_require_grad",
    "backward through the graph a second time": "no_retain_graph",
}


def make(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """Reproducible values for x or for an existing x.grad: halves between -2 and 2.

    A counterexample reads x = [1.5, -0.5], not 1.5409960746765137.
    """
    generator = torch.Generator().manual_seed(seed)
    return (torch.randint(-4, 5, shape, generator=generator) / 2).to(dtype)


def reference_gradient(fn: str, a: float, x: torch.Tensor) -> torch.Tensor:
    """d FUNCTIONS[fn](x, a) / dx, computed here with torch.autograd."""
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(FUNCTIONS[fn](leaf, a), leaf)
    return grad


def describe(fn: str, a: float, x: torch.Tensor, requires_grad: bool, old_grad) -> dict:
    """The example as the learner will read it."""
    return {
        "f(x)": Code(str(FUNCTIONS[fn].__doc__)),
        "a": a,
        "x": x,
        "x.requires_grad": requires_grad,
        "x.grad": old_grad,
    }


def run(learner, probe: str, example: dict, **kwargs) -> dict:
    """The probe's answer; an exception that only a known mistake raises fails with its name."""
    return probe_naming_errors(learner, probe, example, KNOWN_ERRORS, **kwargs)


def expect_x_untouched(got: dict, x, requires_grad: bool, old_grad, example: dict) -> None:
    """Fail unless x's values, .requires_grad and .grad are what they were before the call."""
    if not same(got["x_value"], x, rtol=0, atol=0):
        fail(
            say("x_values_changed"),
            expected=x,
            got=got["x_value"],
            example=example,
        )
    grad = got["x_grad"]
    if old_grad is None and grad is not None:
        fail(
            say("grad_appeared"),
            expected=None,
            got=grad,
            example=example,
            mistake="grad_left_on_x",
        )
    if old_grad is not None and not same(grad, old_grad, rtol=0, atol=0):
        lost = grad is None or (type(grad) is torch.Tensor and not grad.any())
        fail(
            say("old_grad_cleared" if lost else "old_grad_added_to"),
            expected=old_grad,
            got=grad,
            example=example,
            mistake="existing_grad_lost" if lost else "grad_left_on_x",
        )
    if got["x_requires_grad"] != requires_grad:
        fail(
            say("requires_grad_changed"),
            expected=Code(f"x.requires_grad == {requires_grad}"),
            got=Code(f"x.requires_grad == {got['x_requires_grad']}"),
            example=example,
            mistake="requires_grad_changed",
        )


def expect_plain_result(got: dict, what: str, device: str, example: dict) -> None:
    """Fail if the result is not a tensor on x's device that is free of any graph."""
    expect_type(got["value"], torch.Tensor, what, example)
    if got["result"]["requires_grad"]:
        fail(
            say("result_requires_grad", what=what),
            example=example,
            mistake="result_requires_grad",
        )
    if got["result"]["device"] != device:
        fail(
            say("result_moved", what=what),
            expected=Code(f"result.device.type == {device!r}"),
            got=Code(f"result.device.type == {got['result']['device']!r}"),
            example=example,
            mistake="wrong_device",
        )


def inputs(fn: str, a: float, shape, dtype, seed: int, requires_grad: bool, has_grad: bool):
    """x, its existing .grad (or None), and the example shown to the learner."""
    x = make(shape, dtype, seed)
    old_grad = make(shape, dtype, seed + 1000) if has_grad else None
    return x, old_grad, describe(fn, a, x, requires_grad, old_grad)


def cases(times: bool = False) -> st.SearchStrategy[dict]:
    """Drawn inputs of `gradient`'s checks; with `times`, of `accumulated_grad`'s."""
    fields = {
        "fn": names,
        "a": params,
        "shape": shapes,
        "dtype": dtypes,
        "seed": seeds,
        "requires_grad": st.booleans(),
        "has_grad": st.booleans(),
    }
    return st.fixed_dictionaries(fields | ({"times": st.integers(1, 5)} if times else {}))


def call_learner(
    learner, probe, device, fn, a, shape, dtype, seed, requires_grad, has_grad, **more
) -> tuple[dict, torch.Tensor, torch.Tensor | None, dict]:
    """Run a probe of the learner's function on drawn inputs: (answer, x, x's old grad, example)."""
    x, old_grad, example = inputs(fn, a, shape, dtype, seed, requires_grad, has_grad)
    example.update(more)
    got = run(
        learner,
        probe,
        example,
        fn=fn,
        a=a,
        x=x,
        requires_grad=requires_grad,
        old_grad=old_grad,
        device=device,
        **more,
    )
    return got, x, old_grad, example


@check("gradient_value", devices="all")
@given(case=cases())
def test_gradient_value(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "gradient", device, **case)
    value = expect_type(got["value"], torch.Tensor, "gradient(f, x)", example)
    want = reference_gradient(case["fn"], case["a"], x)
    expect_same(
        value,
        want,
        "gradient(f, x)",
        example=example,
        mistakes={"accumulated_into_x_grad": None if old_grad is None else old_grad + want},
        rtol=RTOL,
        atol=ATOL,
    )


@check("gradient_detached", devices="all")
@given(case=cases())
def test_gradient_detached(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "gradient", device, **case)
    expect_plain_result(got, "gradient(f, x)", device, example)


@check("gradient_leaves_x", devices="all")
@given(case=cases())
def test_gradient_leaves_x(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "gradient", device, **case)
    expect_x_untouched(got, x, case["requires_grad"], old_grad, example)


@check("accumulated_value", devices="all")
@given(case=cases(times=True))
def test_accumulated_value(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "accumulated_grad", device, **case)
    times = case["times"]
    value = expect_type(got["value"], torch.Tensor, "accumulated_grad(f, x, times)", example)
    single = reference_gradient(case["fn"], case["a"], x)
    want = single * times
    if same(value, want, RTOL, ATOL):
        return
    # Listed in order: with times == 2 "one gradient" and "one pass too few" coincide.
    mistake = which_mistake(
        value,
        [
            ("not_accumulated", single if times > 1 else None),
            ("off_by_one", single * (times - 1)),
            ("off_by_one", single * (times + 1)),
            ("accumulated_into_x_grad", None if old_grad is None else old_grad + want),
        ],
        RTOL,
        ATOL,
    )
    fail(
        say("accumulated_not_times", times=times),
        expected=want,
        got=value,
        mistake=mistake,
        example=example,
    )


@check("accumulated_one_graph", devices="all")
@given(case=cases(times=True))
def test_accumulated_one_graph(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "accumulated_grad", device, **case)
    times = case["times"]
    calls, passes = got["calls"], got["backwards"]
    if calls != 1:
        fail(
            say("f_called_again", times=times),
            expected=1,
            got=calls,
            example=example,
            mistake="rebuilds_graph" if calls > 1 else None,
        )
    if passes != times:
        if passes == 1:
            mistake = "scaled_single_gradient"
        elif passes in (times - 1, times + 1):
            mistake = "off_by_one"
        else:
            mistake = None
        fail(
            say("backward_passes", times=times),
            expected=times,
            got=passes,
            example=example,
            mistake=mistake,
        )


@check("accumulated_leaves_x", devices="all")
@given(case=cases(times=True))
def test_accumulated_leaves_x(learner, device, case):
    got, x, old_grad, example = call_learner(learner, "accumulated_grad", device, **case)
    expect_x_untouched(got, x, case["requires_grad"], old_grad, example)
    expect_plain_result(got, "accumulated_grad(f, x, times)", device, example)
