"""Hidden checks for exercise 13: cross-entropy by hand, stable for big logits, ignore_index.

Logits are whole numbers (multiples of a round step at big scales), so a counterexample reads
like `[[1.0, -1.0]]` or `[[3000.0, -1000.0]]`; the words are in exercise13_cross_entropy.toml.
"""

import functools
import warnings
from collections.abc import Callable

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import Tensor, nn

from grader.checking import (
    Code,
    check,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    which_mistake,
)
from grader.sandbox.proxy import LearnerRaised, NotImplementedYet
from grader.source import uses_of

say = messages(__name__)

dtypes = st.sampled_from([torch.float32, torch.float64])
sizes = st.integers(1, 5)
seeds = st.integers(0, 2**16)
Loss = Callable[[Tensor, Tensor], Tensor | None]


def make_logits(batch: int, classes: int, scale: int, dtype: torch.dtype, seed: int) -> Tensor:
    """Whole-number logits in [-scale, scale], in steps of a tenth of the scale from 10 up.

    Exact in both dtypes; at big scales rows still have very different maxima.
    """
    step = max(1, scale // 10)
    reach = scale // step
    generator = torch.Generator().manual_seed(seed)
    whole = torch.randint(-reach, reach + 1, (batch, classes), generator=generator)
    return (whole * step).to(dtype)


def make_targets(batch: int, classes: int, seed: int) -> Tensor:
    """Class indices in [0, classes)."""
    return torch.randint(0, classes, (batch,), generator=torch.Generator().manual_seed(seed + 1))


def reference(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> tuple[Tensor, Tensor]:
    """nn.CrossEntropyLoss's value and its gradient with respect to the logits."""
    leaf = logits.clone().requires_grad_(True)
    loss = nn.CrossEntropyLoss(ignore_index=ignore_index)(leaf, targets)
    loss.backward()
    assert leaf.grad is not None  # a leaf that requires grad has one after backward
    return loss.detach(), leaf.grad


def simulate(loss_fn: Loss, logits: Tensor, targets: Tensor) -> tuple[Tensor | None, Tensor | None]:
    """A mistaken implementation's value and gradient (None where it has none)."""
    leaf = logits.clone().requires_grad_(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = loss_fn(leaf, targets)
            if loss is None:
                return None, None
            if loss.numel() != 1:
                return loss.detach(), None
            loss.sum().backward()
    except (RuntimeError, IndexError):
        return None, None
    return loss.detach(), leaf.grad


def tolerances(logits: Tensor, counted: int) -> tuple[float, float, float]:
    """(rtol, value atol, gradient atol): float rounding at the logits' magnitude.

    Any stable formula loses about eps * max|logit| when it subtracts numbers that large, so
    the tolerance grows with the scale (even torch.logsumexp differs from the built-in loss by
    ~1e-3 at 1e4 in float32). Gradient entries are at most 1 / counted.
    """
    eps = torch.finfo(logits.dtype).eps
    scale = max(1.0, float(logits.abs().max())) if logits.numel() else 1.0
    return 16 * eps, 32 * eps * scale, 16 * eps * scale / max(counted, 1)


# --- what each mistake computes, simulated with torch ------------------------------------------


def picked(values: Tensor, targets: Tensor) -> Tensor:
    """values[i, targets[i]] for every row."""
    return values.gather(1, targets.unsqueeze(1)).squeeze(1)


def one_hot_pick(values: Tensor, targets: Tensor) -> Tensor:
    """The same, written as a sum against a one-hot mask (inf * 0 = nan shows here)."""
    mask = nn.functional.one_hot(targets, values.shape[1]).to(values.dtype)
    return (values * mask).sum(1)


def per_example(x: Tensor, t: Tensor) -> Tensor:
    """The stable per-example loss."""
    return torch.logsumexp(x, 1) - picked(x, t)


def naive_log_probs(x: Tensor) -> Tensor:
    """log(exp(x) / sum exp(x)): exp overflows to inf (or all underflow to 0) for big logits."""
    e = torch.exp(x)
    return torch.log(e / e.sum(1, keepdim=True))


def log_of_softmax(x: Tensor) -> Tensor:
    """log(softmax(x)): small probabilities round to 0 and their log is -inf."""
    return torch.log(torch.softmax(x, 1))


def global_max_log_probs(x: Tensor) -> Tensor:
    """Subtracting the batch's max instead of each row's: far-below rows underflow to 0."""
    z = x - x.max()
    return z - torch.log(torch.exp(z).sum(1, keepdim=True))


def general_mistakes() -> list[tuple[str, Loss]]:
    """The mistakes of cross_entropy, as loss functions."""
    return [
        ("sum_not_mean", lambda x, t: per_example(x, t).sum()),
        # With one example a (1,) vector is as likely a reshaped mean: say no_mean from B = 2.
        ("no_mean", lambda x, t: per_example(x, t) if len(t) > 1 else None),
        ("missing_minus_sign", lambda x, t: -per_example(x, t).mean()),
        ("wrong_dim", lambda x, t: -picked(x - torch.logsumexp(x, 0, keepdim=True), t).mean()),
        ("index_all_pairs", lambda x, t: -(x - torch.logsumexp(x, 1, keepdim=True))[:, t].mean()),
        ("naive_softmax", lambda x, t: -picked(naive_log_probs(x), t).mean()),
        ("naive_softmax", lambda x, t: -one_hot_pick(naive_log_probs(x), t).mean()),
        ("log_of_softmax", lambda x, t: -picked(log_of_softmax(x), t).mean()),
        ("log_of_softmax", lambda x, t: -one_hot_pick(log_of_softmax(x), t).mean()),
        ("global_max_shift", lambda x, t: -picked(global_max_log_probs(x), t).mean()),
    ]


def ignore_mistakes(ignore_index: int, classes: int) -> list[tuple[str, Loss]]:
    """The mistakes of cross_entropy_ignore, as loss functions."""

    def masked(x: Tensor, t: Tensor) -> Tensor:
        keep = t != ignore_index
        return torch.where(keep, per_example(x, torch.where(keep, t, 0)), 0.0)

    def unmasked(x: Tensor, t: Tensor, replacement: int) -> Tensor:
        return per_example(x, torch.where(t != ignore_index, t, replacement))

    # Not masking: the ignored targets replaced by 0 (clamp, where), by the wrapped-around
    # class (Python indexing with -1), or left as they are when they are a valid class.
    replacements = {0}
    if -classes <= ignore_index < classes:
        replacements.add(ignore_index % classes)
    mistakes: list[tuple[str, Loss]] = [
        ("ignore_batch_denominator", lambda x, t: masked(x, t).sum() / len(t)),
        ("sum_not_mean", lambda x, t: masked(x, t).sum()),
    ]

    def not_masked(r: int) -> list[tuple[str, Loss]]:
        return [
            ("ignore_not_masked", lambda x, t: unmasked(x, t, r).mean()),
            ("ignore_not_masked", lambda x, t: unmasked(x, t, r).sum() / (t != ignore_index).sum()),
        ]

    for r in sorted(replacements):
        mistakes += not_masked(r)
    return mistakes


def unstable(logits: Tensor) -> str:
    """Which numerical mistake makes a loss non-finite on these logits."""
    e = torch.exp(logits)
    if torch.isinf(e).any() or (e.sum(1) == 0).any():
        return "naive_softmax"
    return "log_of_softmax"


UNSTABLE = ("naive_softmax", "log_of_softmax")


def telling_instability(learner, name: str, device: str) -> str | None:
    """naive_softmax or log_of_softmax, told apart on two equal big logits.

    Small shrunk examples (`[[100.0, -100.0]]`) give both the same inf; on `[[100.0, 100.0]]`
    exp overflows (naive: nan) while softmax does not (log of softmax: log 0.5).
    """
    logits, targets = torch.tensor([[100.0, 100.0]]), torch.tensor([0])
    extra = {"ignore_index": -100} if name == "cross_entropy_ignore" else {}
    try:
        got = learner.probe(name, logits=logits, targets=targets, device=device, **extra)
    except (LearnerRaised, NotImplementedYet):
        return None
    loss = got.get("loss") if type(got) is dict else None
    if type(loss) is not Tensor or loss.numel() != 1:
        return None
    return "log_of_softmax" if bool(torch.isfinite(loss).all()) else "naive_softmax"


# --- comparing ----------------------------------------------------------------------------------


def finite(value: object) -> bool:
    """Whether a reported tensor holds only finite numbers."""
    return type(value) is Tensor and bool(torch.isfinite(value).all())


def judge(
    got: dict,
    logits: Tensor,
    targets: Tensor,
    counted: int,
    mistakes: list[tuple[str, Loss]],
    example: dict,
    what: str,
    parts: tuple[str, ...],
    ignore_index: int = -100,
    tell: Callable[[], str | None] = lambda: None,
) -> None:
    """Compare the learner's loss value ("loss") and/or gradient ("grad") with torch's.

    `tell` separates the two numerical mistakes when the example cannot (see
    `telling_instability`); it runs only for a wrong answer that looks like either.
    """
    wanted = reference(logits, targets, ignore_index)
    rtol, atol_value, atol_grad = tolerances(logits, counted)
    loss = got["loss"]
    if type(loss) in (float, int):
        fail(
            say("python_number", what=what),
            expected=Code("torch.Tensor"),
            got=loss,
            example=example,
            mistake="loss_not_tensor",
        )
    loss = expect_type(loss, Tensor, what, example)
    for part in parts:
        if part == "loss":
            index, atol, value, label = 0, atol_value, loss, say("label_loss")
        else:
            if got["differentiable"] is not True:
                fail(say("not_differentiable", what=what), example=example, mistake="loss_detached")
            if got["grad"] is None:
                fail(
                    say("not_one_number", what=what),
                    expected=(),
                    got=tuple(loss.shape),
                    example=example,
                    mistake="no_mean",
                )
            index, atol, value, label = 1, atol_grad, got["grad"], say("label_gradient")
        if not same(value, wanted[index], rtol, atol):
            # Only a wrong answer pays for simulating every mistake.
            candidates = [(name, simulate(fn, logits, targets)[index]) for name, fn in mistakes]
            mistake = which_mistake(value, candidates, rtol, atol)
            overflowed = finite(wanted[index]) and type(value) is Tensor and not finite(value)
            if mistake in UNSTABLE or (mistake is None and overflowed):
                mistake = tell() or mistake
            mismatch(value, wanted[index], label, what, example, mistake, logits, rtol, atol)


def first_wrong_row(value: Tensor, want: Tensor, rtol: float, atol: float) -> int | None:
    """The first row of a (B, C) gradient that differs, when only some rows do."""
    if value.dim() != 2 or value.shape != want.shape or value.dtype != want.dtype:
        return None
    rows = [i for i in range(len(want)) if not same(value[i], want[i], rtol, atol)]
    return rows[0] if rows and len(rows) < len(want) else None


def mismatch(
    value: object,
    want: Tensor,
    label: str,
    what: str,
    example: dict,
    mistake: str | None,
    logits: Tensor,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Fail for a wrong loss or gradient, saying how it differs (and in which row, if one)."""
    if mistake is None and finite(want) and type(value) is Tensor and not finite(value):
        mistake = unstable(logits)
    expected: object = want
    got: object = value
    if type(value) is Tensor and value.shape != want.shape:
        detail = say("wrong_shape", label=label)
        expected, got = tuple(want.shape), tuple(value.shape)
    elif type(value) is Tensor and value.dtype != want.dtype:
        detail = say("wrong_dtype", label=label)
        expected, got = Code(str(want.dtype)), Code(str(value.dtype))
    elif finite(want) and not finite(value):
        detail = say("not_finite", label=label)
    elif type(value) is Tensor and (row := first_wrong_row(value, want, rtol, atol)) is not None:
        # Name the row that differs (its example and target) and show that row whole.
        detail = say("row_differs", label=label, row=row)
        expected, got = want[row], value[row]
    else:
        detail = say("differs", label=label)
    fail(
        say("mismatch", what=what, detail=detail),
        expected=expected,
        got=got,
        mistake=mistake,
        example=example,
    )


def call(
    learner, name: str, example: dict, known_errors: dict[str, str] | None = None, **kwargs: object
) -> dict:
    """Run a probe (a learner error in `known_errors` names its mistake); check device, targets."""
    got = probe_naming_errors(learner, name, example, known_errors or {}, **kwargs)
    if type(got.get("loss")) is Tensor and got.get("device") != kwargs["device"]:
        fail(
            say("loss_device"),
            expected=Code(str(kwargs["device"])),
            got=Code(str(got.get("device"))),
            example=example,
        )
    if got.get("targets_kept") is False:
        fail(say("targets_changed", name=name), example=example, mistake="targets_changed")
    return got


# Whole numbers up to 10 (they shrink to 1: logits in {-1, 0, 1}).
moderate = st.integers(1, 10)
# 100, 1000 or 10000, up to the contract's limit: exp overflows far below it in float32.
large = st.integers(2, 4).map(lambda e: 10**e)


def expect_plain_case(learner, device, batch, classes, scale, dtype, seed, parts) -> None:
    """Run cross_entropy on drawn logits and targets; judge the `parts` ("loss", "grad")."""
    logits = make_logits(batch, classes, scale, dtype, seed)
    targets = make_targets(batch, classes, seed)
    example = {"logits": logits, "targets": targets}
    got = call(learner, "cross_entropy", example, logits=logits, targets=targets, device=device)
    mistakes, name = general_mistakes(), "cross_entropy"
    tell = functools.partial(telling_instability, learner, name, device)
    judge(got, logits, targets, batch, mistakes, example, name, parts, tell=tell)


@check("cross_entropy_value", devices="all")
@given(batch=sizes, classes=sizes, scale=moderate, dtype=dtypes, seed=seeds)
def test_cross_entropy_value(learner, device, batch, classes, scale, dtype, seed):
    expect_plain_case(learner, device, batch, classes, scale, dtype, seed, ("loss",))


@check("cross_entropy_gradient", devices="all")
@given(batch=sizes, classes=sizes, scale=moderate, dtype=dtypes, seed=seeds)
def test_cross_entropy_gradient(learner, device, batch, classes, scale, dtype, seed):
    expect_plain_case(learner, device, batch, classes, scale, dtype, seed, ("grad",))


@check("cross_entropy_large_logits", devices="all")
@given(batch=sizes, classes=sizes, scale=large, dtype=dtypes, seed=seeds)
def test_cross_entropy_large_logits(learner, device, batch, classes, scale, dtype, seed):
    expect_plain_case(learner, device, batch, classes, scale, dtype, seed, ("loss", "grad"))


# Built once for `ignore_cases`: a strategy built inside a composite is built, checked and looked
# up again for every example.
EXPONENTS = st.integers(0, 4)


@st.composite
def ignore_cases(draw, all_ignored: bool = False) -> tuple[Tensor, Tensor, int]:
    """Logits, targets with some positions set to ignore_index, and that ignore_index."""
    batch, classes = draw(sizes), draw(sizes)
    index_choices = [-100, -1] + ([draw(st.integers(0, classes - 1))] if classes > 1 else [])
    ignore_index = draw(st.sampled_from(index_choices))
    exponent = draw(EXPONENTS)
    seed = draw(seeds)
    logits = make_logits(batch, classes, 10**exponent, draw(dtypes), seed)
    if all_ignored:
        return logits, torch.full((batch,), ignore_index), ignore_index
    ignored = draw(st.lists(st.booleans(), min_size=batch, max_size=batch))
    kept = draw(st.integers(0, batch - 1))
    ignored[kept] = False
    valid = [k for k in range(classes) if k != ignore_index]
    targets = [ignore_index if i else draw(st.sampled_from(valid)) for i in ignored]
    return logits, torch.tensor(targets), ignore_index


def call_ignore(learner, logits: Tensor, targets: Tensor, ignore_index: int, device: str) -> dict:
    """Run cross_entropy_ignore; indexing with a negative ignored target is not masking."""
    example = {"logits": logits, "targets": targets, "ignore_index": ignore_index}
    # gather / indexing with -100 (or -1 on a GPU) raises "index ... out of bounds".
    known = {"index": "ignore_not_masked", "Index": "ignore_not_masked"} if ignore_index < 0 else {}
    return call(
        learner,
        "cross_entropy_ignore",
        example,
        known,
        logits=logits,
        targets=targets,
        ignore_index=ignore_index,
        device=device,
    )


def ignore_all_mistakes(ignore_index: int, classes: int) -> list[tuple[str, Loss]]:
    """Every simulated mistake of cross_entropy_ignore, including cross_entropy's on kept rows."""
    # A learner who reuses cross_entropy on the kept rows brings its mistakes along.
    return ignore_mistakes(ignore_index, classes) + [
        (name, lambda x, t, fn=fn: fn(x[t != ignore_index], t[t != ignore_index]))
        for name, fn in general_mistakes()
    ]


@check("cross_entropy_ignore", devices="all")
@given(case=ignore_cases())
def test_cross_entropy_ignore(learner, device, case):
    logits, targets, ignore_index = case
    example = {"logits": logits, "targets": targets, "ignore_index": ignore_index}
    got = call_ignore(learner, logits, targets, ignore_index, device)
    counted = int((targets != ignore_index).sum())
    mistakes = ignore_all_mistakes(ignore_index, logits.shape[1])
    what, parts = "cross_entropy_ignore", ("loss", "grad")
    tell = functools.partial(telling_instability, learner, what, device)
    judge(got, logits, targets, counted, mistakes, example, what, parts, ignore_index, tell)


@check("cross_entropy_ignore_all")
@given(case=ignore_cases(all_ignored=True))
def test_cross_entropy_ignore_all(learner, case):
    logits, targets, ignore_index = case
    example = {"logits": logits, "targets": targets, "ignore_index": ignore_index}
    got = call_ignore(learner, logits, targets, ignore_index, "cpu")
    want, _ = reference(logits, targets, ignore_index)
    loss = expect_type(got["loss"], Tensor, "cross_entropy_ignore", example)
    if same(loss, want):
        return
    candidates = [("all_ignored_not_nan", torch.zeros((), dtype=want.dtype))] + [
        (name, simulate(fn, logits, targets)[0])
        for name, fn in ignore_all_mistakes(ignore_index, logits.shape[1])
    ]
    fail(
        say("all_ignored"),
        expected=want,
        got=loss,
        mistake=which_mistake(loss, candidates),
        example=example,
    )


# --- written by hand ----------------------------------------------------------------------------

FORBIDDEN = {
    "cross_entropy",
    "CrossEntropyLoss",
    "log_softmax",
    "LogSoftmax",
    "nll_loss",
    "NLLLoss",
    "cross_entropy_loss",
    "nll_loss_nd",
    "nll_loss2d",
    "_log_softmax",
}


# What runs when a learner's function reaches the built-in loss, however it is spelled: the
# torch functions (TorchFunctionMode) and the ATen kernels they decompose into (dispatch).
RAN_FORBIDDEN = {
    "cross_entropy",
    "cross_entropy_loss",
    "log_softmax",
    "_log_softmax",
    "special_log_softmax",
    "nll_loss",
    "nll_loss_nd",
    "nll_loss2d",
    "aten.cross_entropy_loss",
    "aten.log_softmax",
    "aten._log_softmax",
    "aten.nll_loss",
    "aten.nll_loss_nd",
    "aten.nll_loss_forward",
    "aten.nll_loss2d",
    "aten.nll_loss2d_forward",
}


def forbidden_ran(learner) -> dict[str, list[str]]:
    """Which forbidden operations each function ran on a small CPU case, by function name.

    The evidence that counts: it sees `vars(F)["cross_entropy"]` and a call in a branch that
    looks like a `__main__` guard, which the source cannot. A function that raises (or is not
    written yet) ran nothing forbidden here; the other checks report what it raised.
    """
    logits = make_logits(3, 4, 2, torch.float32, 0)
    targets = torch.tensor([0, 3, 1])
    calls = {
        "cross_entropy": {},
        "cross_entropy_ignore": {"ignore_index": -100},
    }
    found: dict[str, list[str]] = {}
    for name, extra in calls.items():
        try:
            got = learner.probe(name, logits=logits, targets=targets, device="cpu", **extra)
        except (LearnerRaised, NotImplementedYet):
            continue
        ran = got.get("ran") if type(got) is dict else None
        names = [n for n in ran if type(n) is str] if type(ran) is list else []
        if hits := [n for n in names if n in RAN_FORBIDDEN]:
            found[name] = hits
    return found


@check("written_by_hand", devices="any")
def test_written_by_hand(learner, source):
    ran = forbidden_ran(learner)
    found = uses_of(source.tree, FORBIDDEN, module="torch")
    if ran or found:
        # Function and operation names, source lines: code, the same in every language.
        said = [
            say("forbidden_ran", name=name, calls=", ".join(hits[:6])) for name, hits in ran.items()
        ]
        said += [say("forbidden_line", line=line, code=text) for text, line in found]
        evidence = said[0]
        for more in said[1:]:
            evidence = say("and_then", first=evidence, then=more)
        fail(say("forbidden_builtin", evidence=evidence), mistake="forbidden_builtin")
