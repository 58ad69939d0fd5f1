"""Hidden checks for exercise 15: save_checkpoint, load_checkpoint, strip_module_prefix.

Resuming is judged by its result: the grader trains the same recipe (`build_setup`, `train`)
without interruption in the trusted process, and the state after resuming from a checkpoint
must be the same. The file the learner writes is read back, inside the worker, with
`torch.load(weights_only=True)`, as anyone who receives a checkpoint should read it. The
words are in exercise15_checkpoints.toml.
"""

from __future__ import annotations

import functools

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import (
    Code,
    check,
    difference,
    fail,
    messages,
    probe_naming_errors,
    same,
    tolerance,
    which_mistake,
)
from grader.recipes.exercise15_checkpoints import (
    KEYS,
    build_setup,
    final_state,
    make_optimizer,
    train,
)

say = messages(__name__)

PREFIX = "module."
MODEL = "nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))"


@functools.cache
def state_names() -> tuple[str, ...]:
    """The keys of the recipe model's state dict, in order ("0.weight", ..., "3.bias")."""
    with torch.random.fork_rng(devices=[]):
        return tuple(build_setup(0, "sgd")[0].state_dict())


def expect_state(got: list, want: list, device: str, message, mistake, example: dict) -> None:
    """Fail unless a model state equals `want`; name the parameter or buffer that differs."""
    rtol, atol = tolerance(device)
    names = state_names()
    mine = dict(zip(names, got, strict=False)) if type(got) is list else got
    theirs = dict(zip(names, want, strict=True))
    path, got_part, want_part = difference(mine, theirs, rtol, atol) or ("", got, want)
    fail(
        say("state_differs", message=message, part=f"model.state_dict(){path}")
        if path
        else message,
        expected=want_part,
        got=got_part,
        mistake=mistake,
        example=example,
    )


def uninterrupted(case: dict, fresh_optimizer: bool = False) -> list[torch.Tensor]:
    """The state after `before + after` steps in one go (or with a new optimizer halfway)."""
    key = (case["seed"], case["kind"], case["before"], case["after"], fresh_optimizer)
    return list(_uninterrupted(*key))


@functools.lru_cache(maxsize=256)
def _uninterrupted(
    seed: int, kind: str, before: int, after: int, fresh_optimizer: bool
) -> tuple[torch.Tensor, ...]:
    # Cached: hypothesis replays and shrinks the same cases; nothing mutates the result.
    with torch.random.fork_rng(devices=[]):
        model, optimizer = build_setup(seed, kind)
        train(model, optimizer, seed, 0, before)
        if fresh_optimizer:
            optimizer = make_optimizer(model, kind)
        train(model, optimizer, seed, before, after)
    return tuple(final_state(model))


def untrained(case: dict) -> list[torch.Tensor]:
    """The state of the fresh model that load_checkpoint is given, before it loads anything."""
    with torch.random.fork_rng(devices=[]):
        model, _ = build_setup(case["seed"] + 1, case["kind"])
    return final_state(model)


cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 99),
        "kind": st.sampled_from(["sgd", "adam"]),
        "before": st.integers(1, 2),
        "after": st.just(1),  # one step after resuming already reads the optimizer's state
        "epoch": st.integers(0, 50),
    }
)


def _optimizer_name(case: dict) -> Code:
    if case["kind"] == "adam":
        return Code("torch.optim.Adam(model.parameters(), lr=0.05)")
    return Code("torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)")


def _save_example(case: dict, wrap: bool = False, as_path: bool = False) -> dict:
    return {
        "model": Code(f"nn.DataParallel({MODEL})" if wrap else MODEL),
        "optimizer": _optimizer_name(case),
        "training_steps_before": case["before"],
        "epoch": case["epoch"],
        "path": Code("pathlib.Path('checkpoint.pt')" if as_path else "'checkpoint.pt'"),
    }


SAVE_ERRORS = {"Weights only load failed": "pickled_objects"}


def _saved(
    learner, case: dict, device: str, wrap: bool, as_path: bool, resume: bool = True
) -> dict:
    """The facts of the file save_checkpoint wrote; fails for a file that cannot be read."""
    example = _save_example(case, wrap, as_path)
    got = learner.probe("save", **case, wrap=wrap, as_path=as_path, device=device, resume=resume)
    if got["files"] != ["checkpoint.pt"]:
        fail(
            say("one_file"),
            expected=["checkpoint.pt"],
            got=got["files"],
            example=example,
        )
    error = got["error"]
    if error and got["keys"] is None:
        mistake = next((m for text, m in SAVE_ERRORS.items() if text in error["message"]), None)
        fail(
            say("unreadable", error=f"{error['type']}: {error['message'][:400]}"),
            mistake=mistake,
            example=example,
        )
    keys = got["keys"]
    if not isinstance(keys, list) or any(k not in keys for k in KEYS):
        fail(
            say("checkpoint_keys"),
            expected=list(KEYS),
            got=keys,
            mistake="optimizer_not_saved"
            if isinstance(keys, list) and "optimizer_state_dict" not in keys
            else None,
            example=example,
        )
    return got


@check("save_checkpoint_file")
@given(case=cases, as_path=st.booleans())
def test_save_checkpoint_file(learner, case, as_path):
    got = _saved(learner, case, "cpu", wrap=False, as_path=as_path, resume=False)
    if type(got["epoch"]) is not int or got["epoch"] != case["epoch"]:
        fail(
            say("epoch_saved"),
            expected=case["epoch"],
            got=got["epoch"],
            mistake="epoch_not_saved",
            example=_save_example(case, as_path=as_path),
        )


def _expect_resumed(got: dict, case: dict, device: str, example: dict, plain: bool) -> None:
    if got.get("error"):
        error = got["error"]
        fail(
            say("restore_failed", error=f"{error['type']}: {error['message'][:400]}"),
            mistake="module_prefix_saved" if "module." in error["message"] else None,
            example=example,
        )
    want = uninterrupted(case)
    rtol, atol = tolerance(device)
    if same(got["resumed"], want, rtol, atol):
        return
    mistake = which_mistake(
        got["resumed"],
        {"optimizer_not_saved": uninterrupted(case, fresh_optimizer=True)},
        rtol,
        atol,
    )
    key = "not_resumed_plain" if plain else "not_resumed"
    message = say(key, steps=case["after"])
    expect_state(got["resumed"], want, device, message, mistake, example)


@check("save_checkpoint_resumes", devices="all")
@given(case=cases)
def test_save_checkpoint_resumes(learner, device, case):
    got = _saved(learner, case, device, wrap=False, as_path=False)
    _expect_resumed(got, case, device, _save_example(case), plain=False)


@check("save_checkpoint_data_parallel")
@given(case=cases)
def test_save_checkpoint_data_parallel(learner, case):
    example = _save_example(case, wrap=True)
    got = _saved(learner, case, "cpu", wrap=True, as_path=False)
    with torch.random.fork_rng(devices=[]):
        plain = list(build_setup(case["seed"], case["kind"])[0].state_dict())
    keys = got["model_keys"]
    if keys != plain:
        prefixed = isinstance(keys, list) and any(str(k).startswith(PREFIX) for k in keys)
        fail(
            say("plain_keys"),
            expected=plain,
            got=keys,
            mistake="module_prefix_saved" if prefixed else None,
            example=example,
        )
    _expect_resumed(got, case, "cpu", example, plain=True)


def _load_example(case: dict, gpu: bool = False) -> dict:
    saved = (
        "{'model_state_dict': ..., 'optimizer_state_dict': ..., " + f"'epoch': {case['epoch']}}}"
    )
    return {
        "checkpoint": Code(saved),
        "saved_from": Code("cuda:0" if gpu else "cpu"),
        "device": Code("cpu"),
        "model": Code(MODEL),
        "optimizer": _optimizer_name(case),
        "training_steps_before": case["before"],
    }


LOAD_ERRORS = {
    "Attempting to deserialize object on a CUDA device": "no_map_location",
    "Weights only load failed": "pickled_objects",
}


def _expect_loaded(got: dict, case: dict, device: str, example: dict) -> None:
    if got["returned_type"] != "int" or got["returned"] != case["epoch"]:
        fail(
            say("epoch_returned"),
            expected=case["epoch"],
            got=got["returned"],
            mistake="epoch_not_returned",
            example=example,
        )
    want = uninterrupted(case)
    rtol, atol = tolerance(device)
    if same(got["resumed"], want, rtol, atol):
        return
    mistake: str | None
    if same(got["loaded"], untrained(case), rtol, atol):
        mistake = "model_not_restored"
    elif got["optimizer_state"] == 0:
        mistake = "optimizer_not_restored"
    else:
        mistake = which_mistake(
            got["resumed"],
            {"optimizer_not_restored": uninterrupted(case, fresh_optimizer=True)},
            rtol,
            atol,
        )
    message = say("not_loaded", steps=case["after"])
    expect_state(got["resumed"], want, device, message, mistake, example)


@check("load_checkpoint_resumes", devices="all")
@given(case=cases)
def test_load_checkpoint_resumes(learner, device, case):
    example = _load_example(case)
    got = probe_naming_errors(
        learner, "load", example, LOAD_ERRORS, **case, device=device, gpu_file=False
    )
    _expect_loaded(got, case, device, example)


@check("load_checkpoint_gpu_file", devices="emulated")
@given(case=cases)
def test_load_checkpoint_gpu_file(learner, case):
    example = _load_example(case, gpu=True)
    got = probe_naming_errors(
        learner, "load", example, LOAD_ERRORS, **case, device="cpu", gpu_file=True
    )
    _expect_loaded(got, case, "cpu", example)


@check("load_checkpoint_refuses_code")
@given(seed=st.integers(0, 99))
def test_load_checkpoint_refuses_code(learner, seed):
    example = {"checkpoint": Code("{..., 'epoch': an_object_whose_unpickling_runs_code}")}
    got = learner.probe("untrusted", seed=seed)
    if got["ran_code"]:
        fail(
            say("ran_code"),
            mistake="weights_only_false",
            example=example,
        )
    if got["raised"] is None:
        fail(
            say("error_swallowed"),
            expected=Code("an exception"),
            got=got["returned"],
            mistake="error_swallowed",
            example=example,
        )


@check("load_checkpoint_strict")
@given(seed=st.integers(0, 99))
def test_load_checkpoint_strict(learner, seed):
    got = learner.probe("strict", seed=seed)
    if got["raised"] is None:
        missing = "{k: v for k, v in model.state_dict().items() if k not in ('3.weight', '3.bias')}"
        fail(
            say("not_strict"),
            mistake="not_strict",
            example={"model_state_dict": Code(missing)},
        )


WORDS = [
    "module",
    "modules",
    "model",
    "decoder",
    "encoder",
    "layer",
    "emb",
    "0",
    "1",
    "weight",
    "bias",
]


@st.composite
def state_keys(draw: st.DrawFn) -> list[str]:
    """Keys as in state dicts, some with one or two leading `module.` and some without."""
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["", PREFIX, PREFIX + PREFIX]),
                st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
            ).map(lambda t: t[0] + ".".join(t[1])),
            min_size=1,
            max_size=6,
            unique=True,
        ).filter(lambda ks: len(set(map(stripped, ks))) == len(ks))
    )
    return keys


def stripped(key: str) -> str:
    """The key without one leading `module.`."""
    return key[len(PREFIX) :] if key.startswith(PREFIX) else key


def _strip_predictions(keys: list[str]) -> dict[str, list[str]]:
    def repeatedly(key: str) -> str:
        while key.startswith(PREFIX):
            key = key[len(PREFIX) :]
        return key

    predicted = {
        "lstrip_characters": [k.lstrip(PREFIX) for k in keys],
        "replace_everywhere": [k.replace(PREFIX, "") for k in keys],
        "strip_without_check": [k[len(PREFIX) :] for k in keys],
        "stripped_repeatedly": [repeatedly(k) for k in keys],
    }
    # Keys that a mistake makes equal collapse into one entry of the returned dict.
    return {name: list(dict.fromkeys(found)) for name, found in predicted.items()}


# Keys on which every mistake above gives a different answer: asked when a drawn example
# cannot tell two of them apart (e.g. "module.module.0" under replace() and a loop).
TELLING = ["encoder.module.bias", "module.module.decoder.weight", "model.weight", "module.emb"]


def _strip_mistake(learner, keys: list[str], got: list[str]) -> str | None:
    matching = [m for m, p in _strip_predictions(keys).items() if p == got]
    if len(matching) > 1:
        values = [torch.zeros(1) for _ in TELLING]
        told = learner.probe("strip", keys=TELLING, values=values).get("keys")
        matching = [m for m in matching if _strip_predictions(TELLING)[m] == told] or matching
    return matching[0] if matching else None


def _strip(learner, keys: list[str]) -> tuple[dict, dict]:
    values = [torch.full((2,), float(i)) for i in range(len(keys))]
    listed = ", ".join(f"{k!r}: tensor{i}" for i, k in enumerate(keys))
    example = {"state_dict": Code("{" + listed + "}")}
    got = learner.probe("strip", keys=keys, values=values)
    if not got["is_dict"]:
        fail(
            say("not_dict"),
            expected=Code("dict"),
            got=Code(str(got["type"])),
            example=example,
        )
    return got, example


@check("strip_module_prefix_keys")
@given(keys=state_keys())
def test_strip_module_prefix_keys(learner, keys):
    got, example = _strip(learner, keys)
    want = [stripped(k) for k in keys]
    if got["keys"] == want:
        return
    mistake = _strip_mistake(learner, keys, got["keys"])
    if mistake is None and sorted(got["keys"]) == sorted(want):
        mistake = "order_changed"
    # The first key that differs, by its position, named in the message; both lists whole.
    first = next(
        (i for i, (a, b) in enumerate(zip(got["keys"], want, strict=False)) if a != b),
        min(len(got["keys"]), len(want)),
    )
    fail(
        say("stripped_keys", index=first),
        expected=want,
        got=got["keys"],
        mistake=mistake,
        example=example,
    )


@check("strip_module_prefix_values")
@given(keys=state_keys())
def test_strip_module_prefix_values(learner, keys):
    got, example = _strip(learner, keys)
    if not got["input_unchanged"] or not got["new_object"]:
        fail(
            say("modified_input"),
            mistake="modified_input",
            example=example,
        )
    if got["value_index"] != list(range(len(keys))):
        fail(
            say("values_kept"),
            expected=list(range(len(keys))),
            got=got["value_index"],
            example=example,
        )
