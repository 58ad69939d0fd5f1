"""Hidden checks for exercise 7: pick_device, to_device and prepare.

to_device runs on the device of the run (cpu, and cuda when present) and on the "meta" device,
where tensors hold shapes but no data: a portable implementation works there too, and a
dropped `tensor.to(...)` result or a hard-coded `.cuda()` shows on a machine without a GPU.
"""

from collections.abc import Iterator

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import Code, Message, check, fail, messages, raised, same
from grader.sandbox.proxy import LearnerRaised
from grader.source import calls_to

say = messages(__name__)

FIELDS = {"Pair": ("x", "y"), "Batch": ("inputs", "targets", "lengths")}
MARKER = "probes.Marker"  # whatever module name the probes were loaded under


def make_tensor(shape: list[int], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """A small CPU tensor with values that identify it."""
    return torch.randint(-9, 10, shape, generator=torch.Generator().manual_seed(seed)).to(dtype)


tensors = st.builds(
    make_tensor,
    shape=st.lists(st.integers(1, 3), max_size=2),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.int64]),
    seed=st.integers(0, 99),
).map(lambda t: {"t": t})
plain = st.one_of(
    st.integers(-5, 5), st.sampled_from(["id-7", "", "mask"]), st.none(), st.just(0.5)
).map(lambda v: {"v": v})
leaves = st.one_of(tensors, tensors, plain, st.integers(0, 9).map(lambda n: {"marker": n}))
keys = st.sampled_from(["x", "y", "mask", "ids"])


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    """Every container kind to_device recurses into, holding `children`."""
    return st.one_of(
        st.lists(children, max_size=3).map(lambda items: {"list": items}),
        st.lists(children, max_size=3).map(lambda items: {"tuple": items}),
        st.dictionaries(keys, children, max_size=3).map(lambda items: {"dict": items}),
        st.tuples(children, children).map(lambda items: {"Pair": list(items)}),
        st.tuples(children, children, children).map(lambda items: {"Batch": list(items)}),
    )


structures = st.recursive(leaves, containers, max_leaves=8)
mutable_roots = st.one_of(
    st.lists(structures, min_size=1, max_size=3).map(lambda items: {"list": items}),
    st.dictionaries(keys, structures, min_size=1, max_size=3).map(lambda items: {"dict": items}),
)


def render(recipe: dict) -> str:
    """A recipe as the Python expression it stands for."""
    ((kind, body),) = recipe.items()
    if kind == "t":
        return f"tensor(shape={tuple(body.shape)}, dtype={str(body.dtype).removeprefix('torch.')})"
    if kind == "v":
        return repr(body)
    if kind == "marker":
        return f"Marker({body})"
    if kind == "list":
        return "[" + ", ".join(render(r) for r in body) + "]"
    if kind == "tuple":
        return "(" + ", ".join(render(r) for r in body) + ("," if len(body) == 1 else "") + ")"
    if kind == "dict":
        return "{" + ", ".join(f"{k!r}: {render(r)}" for k, r in body.items()) + "}"
    inner = ", ".join(f"{f}={render(r)}" for f, r in zip(FIELDS[kind], body, strict=True))
    return f"{kind}({inner})"


def example_of(recipe: dict, device: str, name: str = "obj") -> dict:
    """The example shown with a failure, with a legend for the types it uses."""
    text = render(recipe)
    used = [
        legend
        for word, legend in [
            ("Pair(", "Pair = namedtuple('Pair', ['x', 'y'])"),
            ("Batch(", "class Batch(typing.NamedTuple): inputs; targets; lengths"),
            ("Marker(", "class Marker: ...  # no device"),
        ]
        if word in text
    ]
    return {name: Code(text), "device": Code(device)} | (
        {"where": Code("; ".join(used))} if used else {}
    )


def expected(recipe: dict, device: str) -> dict:
    """What the probe should describe after to_device(obj, device), computed here."""
    ((kind, body),) = recipe.items()
    if kind == "t":
        return {
            "kind": "tensor",
            "device": torch.device(device).type,
            "dtype": str(body.dtype).removeprefix("torch."),
            "shape": list(body.shape),
            "value": None if device == "meta" else body,
        }
    if kind == "v":
        return {"kind": type(body).__qualname__, "repr": repr(body), "same": True}
    if kind == "marker":
        return {"kind": MARKER, "repr": f"Marker({body})", "same": True}
    if kind == "dict":
        return {
            "kind": "dict",
            "keys": list(body),
            "items": [expected(r, device) for r in body.values()],
        }
    return {
        "kind": kind,
        "keys": [str(i) for i in range(len(body))],
        "items": [expected(r, device) for r in body],
    }


def walk(want: dict, got: dict | None, path: str, chain: tuple = ()) -> Iterator[tuple]:
    """(path, wanted node, got node or None, got nodes from the root down) for every node."""
    chain = (*chain, got)
    yield path, want, got, chain
    for i, (key, item) in enumerate(zip(want.get("keys", []), want.get("items", []), strict=True)):
        found = None
        if got is not None and key in got.get("keys", []):
            found = got["items"][got["keys"].index(key)]
        if want["kind"] == "dict":
            step = f"{path}[{key!r}]"
        elif want["kind"] in FIELDS:
            step = f"{path}.{FIELDS[want['kind']][i]}"
        else:
            step = f"{path}[{i}]"
        yield from walk(item, found, step, chain)


def device_mistake(target: str, got: dict, chain: tuple) -> str | None:
    """Why a tensor is not on `target`: a hard-coded cuda, a dropped result, a skipped container."""
    if got["device"] == "cuda" and target != "cuda":
        return "hardcoded_cuda"
    unchanged = [node for node in chain if node is not None and node["same"]]
    if got["device"] == "cpu" and unchanged:
        return "to_result_dropped" if unchanged[0] is got else "container_not_recursed"
    return None


def kind_mistake(wanted: str, got: str) -> str | None:
    """The mistake behind a node that came back as another kind of object."""
    if wanted == "tensor":
        return None
    if wanted == "tuple" and got == "list":
        return "tuple_became_list"
    if wanted in FIELDS and got in ("tuple", "list"):
        return "namedtuple_became_tuple"
    if wanted in ("list", "tuple", "dict", *FIELDS):
        return "container_type_changed"
    return "non_tensor_changed"


def diagnose_raised(error: LearnerRaised, example: dict) -> None:
    """Name the mistake behind an exception that a known mistake raises.

    Not probe_naming_errors: which mistake `set_data` reveals depends on the function it was
    raised in (the traceback), and the texts of the CUDA errors differ in case across builds.
    """
    text = error.message.lower()
    if "set_data" in text:
        # `x.data = x.data.to(device)`, refused across device types: on a batch's tensor in
        # to_device it mutates the input; in prepare it moves parameters one by one.
        frames = [ln.strip() for ln in error.traceback.splitlines() if "File " in ln]
        in_to_device = bool(frames) and frames[-1].endswith("in to_device")
        fail(
            raised(error),
            example=example,
            mistake="input_mutated" if in_to_device else "parameters_only",
        )
    # What .cuda() raises where there is no GPU (no driver, a CPU-only build, no device).
    if any(word in text for word in ("nvidia", "not compiled with cuda", "no cuda gpus")):
        fail(raised(error), example=example, mistake="hardcoded_cuda")
    if error.is_a("TypeError") and "required positional argument" in text:
        fail(raised(error), example=example, mistake="namedtuple_from_generator")


def mutation(changes: list) -> Message:
    """The first in-place change the probe saw, in words (and how many more there are)."""
    first = changes[0] if type(changes[0]) is dict else {}
    path, change = str(first.get("path", "?")), first.get("change")
    if change == "tensor":
        fields = {k: str(first.get(k)) for k in ("dtype", "shape", "device")}
        said = say("changed_tensor", path=path, **fields)
    elif change == "values":
        said = say("overwritten", path=path)
    else:
        said = say("replaced", path=path)
    if len(changes) > 1:
        return say("and_more", change=said, more=len(changes) - 1)
    return said


def run_to_device(learner, recipe: dict, device: str, as_string: bool = False) -> tuple:
    """The probe's description of to_device(obj, device), and the example to show."""
    example = example_of(recipe, repr(device) if as_string else f"torch.device({device!r})")
    try:
        got = learner.probe("to_device", recipe=recipe, device=device, as_string=as_string)
    except LearnerRaised as error:
        diagnose_raised(error, example)
        raise
    return got, example


def expect_tensors_moved(got: dict, recipe: dict, device: str, example: dict, root: str) -> None:
    """Every tensor of the recipe is at its place in `got`, on `device`, with the same data."""
    target = torch.device(device).type
    for path, want, node, chain in walk(expected(recipe, device), got, root):
        if want["kind"] != "tensor":
            continue
        if node is None or node["kind"] != "tensor":
            fail(
                say("tensor_missing" if node is None else "should_be_tensor", path=path),
                expected=Code("torch.Tensor"),
                got=Code("None" if node is None else str(node["kind"])),
                example=example,
                mistake=next(
                    (
                        kind_mistake(w["kind"], g["kind"])
                        for _, w, g, _ in walk(expected(recipe, device), got, root)
                        if g is not None and g["kind"] != w["kind"]
                    ),
                    None,
                ),
            )
        if node["device"] != target:
            fail(
                say("wrong_device", path=path),
                expected=Code(target),
                got=Code(str(node["device"])),
                example=example,
                mistake=device_mistake(target, node, chain),
            )
        for fact, key in (("dtype", "changed_dtype"), ("shape", "changed_shape")):
            if node[fact] != want[fact]:
                fail(say(key, path=path), expected=want[fact], got=node[fact], example=example)
        if not same(node["value"], want["value"]):
            fail(
                say("changed_values", path=path),
                expected=want["value"],
                got=node["value"],
                example=example,
            )


@check("pick_device")
def test_pick_device(learner):
    got = learner.probe("pick_device")
    want = "cuda" if torch.cuda.is_available() and got["cuda_available"] else "cpu"
    wanted = Code(f"torch.device({want!r})")
    if got["kind"] == "str":
        fail(
            say("device_as_string"),
            expected=wanted,
            got=Code(str(got["repr"])),
            mistake="device_as_string",
        )
    if got["kind"] != "torch.device":
        fail(
            say("not_a_device", kind=str(got["kind"])), expected=wanted, got=Code(str(got["repr"]))
        )
    if got["device"] != want:
        fail(
            say("chose_wrong_with_cuda" if want == "cuda" else "chose_wrong_without_cuda"),
            expected=wanted,
            got=Code(str(got["repr"])),
            mistake={"cuda": "cuda_without_check", "cpu": "always_cpu"}[got["device"]]
            if got["device"] in ("cuda", "cpu")
            else None,
        )


@check("to_device_moves_tensors", devices="all")
@given(recipe=structures, as_string=st.booleans())
def test_to_device_moves_tensors(learner, device, recipe, as_string):
    got, example = run_to_device(learner, recipe, device, as_string)
    expect_tensors_moved(got["out"], recipe, device, example, "to_device(obj, device)")


@check("to_device_any_device")
@given(recipe=structures)
def test_to_device_any_device(learner, recipe):
    got, example = run_to_device(learner, recipe, "meta")
    expect_tensors_moved(got["out"], recipe, "meta", example, "to_device(obj, device)")


@check("to_device_keeps_containers")
@given(recipe=structures)
def test_to_device_keeps_containers(learner, recipe):
    got, example = run_to_device(learner, recipe, "cpu")
    for path, want, node, _ in walk(expected(recipe, "cpu"), got["out"], "to_device(obj, device)"):
        kind = want["kind"]
        if node is None:
            fail(say("missing", path=path), example=example)
        if kind == "tensor":
            continue
        if node["kind"] != kind:
            fail(
                say("kind_changed", path=path),
                expected=Code(kind.rsplit(".", 1)[-1]),
                got=Code(str(node["kind"])),
                example=example,
                mistake=kind_mistake(kind, node["kind"]),
            )
        if "keys" in want and node.get("keys") != want["keys"]:
            fail(
                say("keys_changed", path=path),
                expected=want["keys"],
                got=node.get("keys"),
                example=example,
                mistake="container_type_changed",
            )
        if "repr" in want and not (node["same"] and node["repr"] == want["repr"]):
            fail(
                say(
                    "value_changed" if node["repr"] != want["repr"] else "not_the_same_object",
                    path=path,
                ),
                expected=Code(want["repr"]),
                got=Code(str(node["repr"])),
                example=example,
                mistake="non_tensor_changed",
            )


@check("to_device_input_unchanged")
@given(recipe=mutable_roots)
def test_to_device_input_unchanged(learner, recipe):
    got, example = run_to_device(learner, recipe, "meta")
    if got["mutations"]:
        fail(
            say("input_mutated", change=mutation(got["mutations"])),
            example=example,
            mistake="input_mutated",
        )


@check("no_hardcoded_cuda", devices="source")
def test_no_hardcoded_cuda(source):
    found = calls_to(source.tree, {"cuda"})
    if found:
        lines = ", ".join(str(line) for _, line in found[:5])
        fail(say("calls_cuda", lines=lines), mistake="hardcoded_cuda")


batch_kinds = st.sampled_from(["tuple", "dict", "Batch"])


def batch_recipe(kind: str, size: int, features: int, seed: int) -> dict:
    """A batch of (inputs, targets) as a tuple, a dict or a namedtuple, as a recipe."""
    inputs = {"t": make_tensor([size, features], torch.float32, seed)}
    targets = {"t": make_tensor([size], torch.int64, seed + 1)}
    if kind == "tuple":
        return {"tuple": [inputs, targets]}
    if kind == "dict":
        return {"dict": {"x": inputs, "y": targets}}
    return {"Batch": [inputs, targets, {"v": size}]}


def check_prepare(learner, device: str, kind: str, sizes: list[int], size: int, seed: int):
    """prepare(model, batch, device) moves the whole model and every tensor of the batch."""
    recipe = batch_recipe(kind, size, sizes[0], seed)
    example = example_of(recipe, f"torch.device({device!r})", "batch") | {
        "model": Code(
            f"nn.Sequential(nn.Linear({sizes[0]}, {sizes[1]}), nn.BatchNorm1d({sizes[1]}), "
            f"nn.ReLU(), nn.Linear({sizes[1]}, {sizes[2]}))"
        )
    }
    try:
        got = learner.probe("prepare", sizes=sizes, recipe=recipe, device=device)
    except LearnerRaised as error:
        diagnose_raised(error, example)
        raise
    if not got["pair"]:
        fail(say("prepare_not_a_pair"), got=Code(str(got["repr"])), example=example)
    if not got["is_module"]:
        fail(say("prepare_not_a_module", kind=str(got["kind"])), example=example)
    target = torch.device(device).type
    params = {n: d for n, d in got["parameters"].items() if d != target}
    buffers = {n: d for n, d in got["buffers"].items() if d != target}
    if params or buffers:
        where = sorted(set(params.values()) | set(buffers.values()))
        if "cuda" in where:
            mistake = "hardcoded_cuda"
        elif not params:
            mistake = "parameters_only"
        elif len(params) == len(got["parameters"]) and where == ["cpu"]:
            mistake = "prepare_forgets_model"
        else:
            mistake = None
        elsewhere = params | buffers
        fail(
            say("model_not_moved", target=target),
            expected={name: Code(target) for name in elsewhere},
            got={name: Code(str(d)) for name, d in elsewhere.items()},
            example=example,
            mistake=mistake,
        )
    moved = [
        node
        for _, want, node, _ in walk(expected(recipe, device), got["batch"], "batch")
        if want["kind"] == "tensor" and node is not None and node.get("device") == target
    ]
    # The very batch that was given, nothing in it moved: to_device's result was not returned.
    if got["batch"]["same"] and not moved and target != "cpu":
        fail(
            say("batch_not_moved", target=target),
            example=example,
            mistake="prepare_forgets_batch",
        )
    expect_tensors_moved(got["batch"], recipe, device, example, "prepare(model, batch, device)[1]")
    if got["mutations"]:
        fail(
            say("prepare_mutated", change=mutation(got["mutations"])),
            example=example,
            mistake="input_mutated",
        )


sizes = st.lists(st.integers(1, 4), min_size=3, max_size=3)


@check("prepare_moves_model_and_batch", devices="all")
@given(kind=batch_kinds, sizes=sizes, size=st.integers(2, 4), seed=st.integers(0, 99))
def test_prepare_moves_model_and_batch(learner, device, kind, sizes, size, seed):
    check_prepare(learner, device, kind, sizes, size, seed)


@check("prepare_any_device")
@given(kind=batch_kinds, sizes=sizes, size=st.integers(2, 4), seed=st.integers(0, 99))
def test_prepare_any_device(learner, kind, sizes, size, seed):
    check_prepare(learner, "meta", kind, sizes, size, seed)
