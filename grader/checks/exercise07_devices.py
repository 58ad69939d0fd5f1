"""Hidden checks for exercise 7: pick_device, to_device and prepare.

to_device runs on the device of the run (cpu, and cuda when present) and on the "meta" device,
where tensors hold shapes but no data: a portable implementation works there too, and a
dropped `tensor.to(...)` result or a hard-coded `.cuda()` shows on a machine without a GPU.
"""

from collections.abc import Iterator

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import check, fail, same, show
from grader.sandbox.proxy import LearnerRaised
from grader.source import calls_to

FIELDS = {"Pair": ("x", "y"), "Batch": ("inputs", "targets", "lengths")}
MARKER = "probes.Marker"  # whatever module name the probes were loaded under


class Shown:
    """An example value rendered as the code that builds it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


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
            ("Batch(", "Batch = a typing.NamedTuple with fields inputs, targets, lengths"),
            ("Marker(", "Marker = an ordinary object without a device"),
        ]
        if word in text
    ]
    return {name: Shown(text), "device": Shown(device)} | (
        {"where": Shown("; ".join(used))} if used else {}
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


def diagnose_raised(raised: LearnerRaised, what: str, example: dict) -> None:
    """Name the mistake behind an exception that a known mistake raises."""
    text = raised.message.lower()
    if "set_data" in text:
        # `x.data = x.data.to(device)`, refused across device types: on a batch's tensor in
        # to_device it mutates the input; in prepare it moves parameters one by one.
        frames = [ln.strip() for ln in raised.traceback.splitlines() if "File " in ln]
        in_to_device = bool(frames) and frames[-1].endswith("in to_device")
        fail(
            f"{what} raised {raised.type_name}: {raised.message[:300]}",
            example=example,
            mistake="input_mutated" if in_to_device else "parameters_only",
        )
    # What .cuda() raises where there is no GPU (no driver, a CPU-only build, no device).
    if any(word in text for word in ("nvidia", "not compiled with cuda", "no cuda gpus")):
        fail(
            f"{what} raised {raised.type_name}: {raised.message[:300]}",
            example=example,
            mistake="hardcoded_cuda",
        )
    if raised.is_a("TypeError") and "required positional argument" in text:
        fail(
            f"{what} raised {raised.type_name}: {raised.message[:300]}",
            example=example,
            mistake="namedtuple_from_generator",
        )


def run_to_device(learner, recipe: dict, device: str, as_string: bool = False) -> tuple:
    """The probe's description of to_device(obj, device), and the example to show."""
    example = example_of(recipe, repr(device) if as_string else f"torch.device({device!r})")
    try:
        got = learner.probe("to_device", recipe=recipe, device=device, as_string=as_string)
    except LearnerRaised as raised:
        diagnose_raised(raised, "to_device(obj, device)", example)
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
                f"{path} should be a tensor, but the result has "
                f"{'nothing' if node is None else node['kind']} there.",
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
                f"{path} is on {node['device']}, expected {target}.",
                expected=target,
                got=node["device"],
                example=example,
                mistake=device_mistake(target, node, chain),
            )
        facts = ("dtype", "shape", "value")
        if not all(same(node[k], want[k]) for k in facts):
            fail(
                f"{path} changed on the way: expected {', '.join(f'{k} {show(want[k], 80)}' for k in facts)}"
                f"; got {', '.join(f'{k} {show(node[k], 80)}' for k in facts)}.",
                example=example,
            )


@check("pick_device")
def test_pick_device(learner):
    got = learner.probe("pick_device")
    want = "cuda" if torch.cuda.is_available() and got["cuda_available"] else "cpu"
    if got["kind"] == "str":
        fail(
            f"pick_device returned the string {got['repr']}; expected torch.device({want!r}).",
            mistake="device_as_string",
        )
    if got["kind"] != "torch.device":
        fail(f"pick_device returned a {got['kind']}: {got['repr']}; expected a torch.device.")
    if got["device"] != want:
        fail(
            f"pick_device returned {got['repr']} on a machine where CUDA is "
            f"{'available' if want == 'cuda' else 'not available'}; expected torch.device({want!r}).",
            expected=want,
            got=got["device"],
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
            fail(f"{path} is missing from the result.", example=example)
        if kind == "tensor":
            continue
        if node["kind"] != kind:
            fail(
                f"{path} should be a {kind.rsplit('.', 1)[-1]}, but it came back as a "
                f"{node['kind']}.",
                expected=kind,
                got=node["kind"],
                example=example,
                mistake=kind_mistake(kind, node["kind"]),
            )
        if "keys" in want and node.get("keys") != want["keys"]:
            fail(
                f"{path} has the keys {node.get('keys')}, expected {want['keys']}.",
                example=example,
                mistake="container_type_changed",
            )
        if "repr" in want and not (node["same"] and node["repr"] == want["repr"]):
            fail(
                f"{path} should be returned as is ({want['repr']}, the same object), but came "
                f"back as {node['repr']}{'' if node['same'] else ' (another object)'}.",
                example=example,
                mistake="non_tensor_changed",
            )


@check("to_device_input_unchanged")
@given(recipe=mutable_roots)
def test_to_device_input_unchanged(learner, recipe):
    got, example = run_to_device(learner, recipe, "meta")
    if got["mutations"]:
        fail(
            "to_device(obj, device) modified its input: " + "; ".join(got["mutations"][:3]) + ".",
            example=example,
            mistake="input_mutated",
        )


@check("no_hardcoded_cuda", devices="source")
def test_no_hardcoded_cuda(source):
    found = calls_to(source.tree, {"cuda"})
    if found:
        lines = ", ".join(f"{name}() on line {line}" for name, line in found[:5])
        fail(
            f"your file calls {lines}: that code runs only where CUDA is, and only on cuda:0. "
            "Move things with .to(device) instead.",
            mistake="hardcoded_cuda",
        )


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
        "model": Shown(
            f"nn.Sequential(nn.Linear({sizes[0]}, {sizes[1]}), nn.BatchNorm1d({sizes[1]}), "
            f"nn.ReLU(), nn.Linear({sizes[1]}, {sizes[2]}))"
        )
    }
    try:
        got = learner.probe("prepare", sizes=sizes, recipe=recipe, device=device)
    except LearnerRaised as raised:
        diagnose_raised(raised, "prepare(model, batch, device)", example)
        raise
    if not got["pair"]:
        fail(f"prepare should return the tuple (model, batch), got {got['repr']}.", example=example)
    if not got["is_module"]:
        fail(f"prepare returned a {got['kind']} where the model should be.", example=example)
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
        fail(
            f"the model is not on {target}: {', '.join(list(params) + list(buffers))} "
            f"{'is' if len(params) + len(buffers) == 1 else 'are'} still on {', '.join(where)}.",
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
            f"no tensor of the batch is on {target}: the batch came back where it was.",
            example=example,
            mistake="prepare_forgets_batch",
        )
    expect_tensors_moved(got["batch"], recipe, device, example, "prepare(model, batch, device)[1]")
    if got["mutations"]:
        fail(
            "prepare modified the batch it was given: " + "; ".join(got["mutations"][:3]) + ".",
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
