"""Hidden checks for exercise 12: SeqClassifier's layers and output, lstm_with_cell.

Inputs are whole numbers and LSTM weights multiples of 1/4, so a counterexample reads plainly;
the words are in exercise12_lstm.toml.
"""

import ast
from collections.abc import Callable, Sequence
from typing import Any

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from grader.checking import (
    Code,
    Message,
    check,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    tolerance,
    type_name,
    which_mistake,
)
from grader.sandbox.proxy import LearnerRaised, NotImplementedYet
from grader.source import calls_to

say = messages(__name__)

small = st.integers(1, 4)
seeds = st.integers(0, 2**16)
RNN_KINDS = ("LSTM", "GRU", "RNN_TANH", "RNN_RELU")

Candidates = list[tuple[str, Any]]


def expect_close(
    got: Any,
    want: Any,
    what: str,
    name: str,
    example: dict,
    candidates: Callable[[], Candidates],
    device: str,
) -> None:
    """Fail unless `got` equals `want`, naming the first simulated mistake that `got` equals.

    `candidates` is called (the mistakes simulated) only when the answer is wrong.
    """
    # Through an LSTM's matrix products and gates: the looser tolerance on every device.
    rtol, atol = tolerance(device, convolution=True)
    if same(got, want, rtol, atol):
        return
    mistake = which_mistake(got, candidates(), rtol, atol)
    words, got_part, want_part = difference(got, want, name, rtol, atol)
    fail(
        say("mismatch", what=what, detail=words),
        expected=want_part,
        got=got_part,
        mistake=mistake,
        example=example,
    )


WITH_CELL = "lstm_with_cell(lstm, x)"
PARTS = {WITH_CELL: ("output", "(h_n, c_n)"), "(h_n, c_n)": ("h_n", "c_n")}


def difference(
    got: Any, want: Any, name: str, rtol: float, atol: float
) -> tuple[Message, Any, Any]:
    """Where two nested results first differ, in words, and the two parts that differ there.

    `name` is the part as code; within a tensor of the right shape, the first index along its
    first dimension that differs (a time step of output, a row of logits) is named and shown.
    """
    shown = name
    if type(got) is not type(want):
        return say("part_type", part=shown, got=type_name(got), want=type_name(want)), got, want
    if type(want) is tuple:
        if len(got) != len(want):
            key = "part_length_one" if len(got) == 1 else "part_length"
            return say(key, part=shown, got=len(got), want=len(want)), got, want
        parts = PARTS.get(name, tuple(f"{name}[{i}]" for i in range(len(want))))
        for part, g, w in zip(parts, got, want, strict=True):
            if not same(g, w, rtol, atol):
                return difference(g, w, part, rtol, atol)
    elif type(want) is torch.Tensor and got.shape != want.shape:
        words = say("part_shape", part=shown)
        return words, tuple(got.shape), tuple(want.shape)
    elif type(want) is torch.Tensor and got.dtype != want.dtype:
        return say("part_dtype", part=shown), Code(str(got.dtype)), Code(str(want.dtype))
    elif type(want) is torch.Tensor and want.dim() >= 2:
        rows = [i for i in range(len(want)) if not same(got[i], want[i], rtol, atol)]
        if rows:
            i = rows[0]
            return say("part_values", part=f"{name}[{i}]"), got[i], want[i]
    return say("part_values", part=shown), got, want


def joined(problems: list[Message]) -> Message:
    """Several problems as one message, one per line, each in the learner's language."""
    message = problems[0]
    for problem in problems[1:]:
        message = say("and_then", first=message, then=problem)
    return message


# --- SeqClassifier ---------------------------------------------------------------------------


def layers_of(facts: Any, kind: str | Sequence[str]) -> list[dict]:
    """The reported layers of one kind."""
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    layers = facts.get("layers") if type(facts) is dict else None
    if type(layers) is not list:
        return []
    return [layer for layer in layers if type(layer) is dict and layer.get("kind") in kinds]


def require_module(facts: Any, example: dict) -> None:
    """Fail unless the probe saw an nn.Module."""
    if type(facts) is not dict or facts.get("is_module") is not True:
        fail(say("not_module"), example=example)


def layer_problems(facts: dict, vocab: int, embed: int, hidden: int, classes: int) -> list:
    """(message, mistake id or None) for every way the layers differ from the contract."""
    wanted: list[tuple[str, tuple[str, ...], str, dict[str, Any]]] = [
        ("Embedding", ("Embedding",), f"nn.Embedding({vocab}, {embed})", {
            "num_embeddings": vocab, "embedding_dim": embed}),
        ("LSTM", RNN_KINDS, f"nn.LSTM({embed}, {hidden}, batch_first=True)", {
            "kind": "LSTM", "input_size": embed, "hidden_size": hidden, "batch_first": True,
            "num_layers": 1, "bidirectional": False, "proj_size": 0}),
        ("Linear", ("Linear",), f"nn.Linear({hidden}, {classes})", {
            "in_features": hidden, "out_features": classes}),
    ]  # fmt: skip
    problems: list[tuple[Message, str | None]] = []
    for name, kinds, spelled, config in wanted:
        found = layers_of(facts, kinds)
        if not found and name == "Embedding":
            problems.append((say("no_embedding", spelled=spelled), "missing_embedding"))
            continue
        if len(found) != 1:
            problems.append(
                (say("layer_count", count=len(found), name=name, spelled=spelled), None)
            )
            continue
        wrong = {
            key: found[0].get(key) for key, value in config.items() if found[0].get(key) != value
        }
        if wrong.pop("batch_first", None) is not None:
            problems.append((say("batch_first"), "batch_first_forgotten"))
        if wrong:
            # The settings that differ, each named, as code.
            settings = ", ".join(f"{key}={value!r}" for key, value in wrong.items())
            problems.append(
                (say("layer_settings", name=name, settings=settings, spelled=spelled), None)
            )
    others = [layer.get("type") for layer in layers_of(facts, "other")]
    if others:
        problems.append((say("other_layers", others=", ".join(map(str, others))), None))
    return problems


def load(layer: nn.Module, state: Any) -> nn.Module | None:
    """`layer` holding the learner's reported weights, or None when they do not fit."""
    if type(state) is not dict or not all(type(v) is torch.Tensor for v in state.values()):
        return None
    try:
        layer.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, TypeError, ValueError):
        return None
    return layer.eval()


def weight_shape(state: Any, key: str) -> tuple[int, ...]:
    """The shape of one reported weight, () when it is missing."""
    value = state.get(key) if type(state) is dict else None
    return tuple(value.shape) if type(value) is torch.Tensor else ()


def compose(facts: dict, tokens: torch.Tensor) -> tuple | None:
    """The learner's embedding, LSTM (batch first, and time first) and Linear, rebuilt here.

    Sizes come from the weights themselves (what the layers compute with), never from the
    reported configuration; None when they do not chain into Embedding -> LSTM -> Linear.
    """
    embeddings, rnns = layers_of(facts, "Embedding"), layers_of(facts, "LSTM")
    linears = layers_of(facts, "Linear")
    if len(embeddings) != 1 or len(rnns) != 1 or len(linears) != 1:
        return None
    e, r, lin = embeddings[0].get("state"), rnns[0].get("state"), linears[0].get("state")
    if type(e) is not dict or type(r) is not dict or type(lin) is not dict:
        return None  # no weights reported: nothing to rebuild
    if rnns[0].get("num_layers") != 1 or rnns[0].get("bidirectional") or rnns[0].get("proj_size"):
        return None
    embed_shape, lstm_shape = weight_shape(e, "weight"), weight_shape(r, "weight_ih_l0")
    linear_shape = weight_shape(lin, "weight")
    if len(embed_shape) != 2 or len(lstm_shape) != 2 or len(linear_shape) != 2:
        return None
    (vocab, dim), (four_h, inputs), (outs, ins) = embed_shape, lstm_shape, linear_shape
    if four_h % 4 or dim != inputs or four_h // 4 != ins or int(tokens.max()) >= vocab:
        return None
    bias = "bias_ih_l0" in r
    built = (
        load(nn.Embedding(vocab, dim), e),
        load(nn.LSTM(dim, ins, bias=bias, batch_first=True), r),
        load(nn.LSTM(dim, ins, bias=bias, batch_first=False), r),
        load(nn.Linear(ins, outs, bias="bias" in lin), lin),
    )
    return None if any(b is None for b in built) else built


def classifier_predictions(layers: tuple, tokens: torch.Tensor) -> tuple[torch.Tensor, Candidates]:
    """The contract's output from the learner's own weights, and each mistake's output."""
    embedding, lstm, time_first, linear = layers
    with torch.no_grad():
        embedded = embedding(tokens)
        output, (h_n, c_n) = lstm(embedded)
        tf_output, (tf_h, _) = time_first(embedded)
        expected = linear(output[:, -1])
        candidates = [
            ("first_step_output", linear(output[:, 0])),
            ("cell_state_not_hidden", linear(c_n[-1])),
            ("last_batch_element", linear(output[-1])),
            ("batch_first_forgotten", linear(tf_h[-1])),
            ("batch_first_forgotten", linear(tf_output[:, -1])),
            ("batch_first_forgotten", linear(tf_output[-1])),
            ("softmax_output", torch.softmax(expected, dim=-1)),
        ]
    return expected, candidates


classifier_sizes = {
    "vocab": st.integers(2, 12),
    "embed": small,
    "hidden": small,
    "classes": st.integers(1, 4),
}


def classifier_facts(
    learner, sizes: tuple[int, int, int, int], tokens, seed: int, device: str, example: dict
) -> dict:
    """The seq_classifier probe's report on a SeqClassifier of `sizes`, required to be a Module.

    With `tokens`, the report includes the model's output on them.
    """
    vocab, embed, hidden, classes = sizes
    facts = learner.probe(
        "seq_classifier",
        vocab_size=vocab,
        embed_dim=embed,
        hidden_size=hidden,
        num_classes=classes,
        tokens=tokens,
        seed=seed,
        device=device,
    )
    require_module(facts, example)
    return facts


@check("seq_classifier_layers")
@given(**classifier_sizes, seed=seeds)
def test_seq_classifier_layers(learner, vocab, embed, hidden, classes, seed):
    example = {"model": Code(f"SeqClassifier({vocab}, {embed}, {hidden}, {classes})")}
    facts = classifier_facts(learner, (vocab, embed, hidden, classes), None, seed, "cpu", example)
    problems = layer_problems(facts, vocab, embed, hidden, classes)
    if problems:
        fail(
            joined([p for p, _ in problems]),
            example=example,
            mistake=next((m for _, m in problems if m), None),
        )


@check("seq_classifier_output", devices="all")
@given(**classifier_sizes, batch=st.integers(1, 4), steps=st.integers(1, 6), seed=seeds)
def test_seq_classifier_output(learner, device, vocab, embed, hidden, classes, batch, steps, seed):
    tokens = torch.randint(0, vocab, (batch, steps), generator=torch.Generator().manual_seed(seed))
    model = Code(f"SeqClassifier({vocab}, {embed}, {hidden}, {classes})")
    example = {"model": model, "tokens": tokens}
    sizes = (vocab, embed, hidden, classes)
    facts = classifier_facts(learner, sizes, tokens, seed, device, example)
    output = expect_type(facts.get("output"), torch.Tensor, "model(tokens)", example)
    layers = compose(facts, tokens)
    if layers is None:
        problems = layer_problems(facts, vocab, embed, hidden, classes)
        said = [p for p, _ in problems]
        fail(
            say("not_chained", problems=joined(said)) if said else say("not_chained_weights"),
            example=example,
            mistake=next((m for _, m in problems if m), None),
        )
    expected, candidates = classifier_predictions(layers, tokens)
    expect_close(
        output, expected, "model(tokens)", "model(tokens)", example, lambda: candidates, device
    )
    if facts.get("device") != device:
        fail(
            say("output_device"),
            expected=Code(device),
            got=Code(str(facts.get("device"))),
            example=example,
        )


# --- lstm_with_cell --------------------------------------------------------------------------


def lstm_state(
    input_size: int,
    hidden_size: int,
    generator: torch.Generator,
    bias: bool = True,
    dtype: torch.dtype = torch.float32,
) -> dict:
    """Weights for a one-layer nn.LSTM, larger than its default init so mistakes show.

    Without bias and in float64 too: a cell built without bias=/dtype= from the LSTM differs.
    """
    shapes: dict[str, tuple[int, ...]] = {
        "weight_ih_l0": (4 * hidden_size, input_size),
        "weight_hh_l0": (4 * hidden_size, hidden_size),
    }
    if bias:
        shapes.update(bias_ih_l0=(4 * hidden_size,), bias_hh_l0=(4 * hidden_size,))
    # Multiples of 1/4 in [-1, 1]: exact in both dtypes.
    return {
        k: (torch.randint(-4, 5, s, generator=generator) / 4).to(dtype) for k, s in shapes.items()
    }


def reference_lstm(state: dict, x: torch.Tensor) -> tuple:
    """What nn.LSTM itself returns for these weights and input."""
    bias = "bias_ih_l0" in state
    lstm = nn.LSTM(x.shape[-1], state["weight_hh_l0"].shape[1], bias=bias, dtype=x.dtype)
    lstm.load_state_dict(state)
    with torch.no_grad():
        return lstm(x)


def cell(w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor, b_hh: torch.Tensor):
    """An nn.LSTMCell holding the given weights."""
    made = nn.LSTMCell(w_ih.shape[1], w_hh.shape[1], dtype=w_ih.dtype)
    with torch.no_grad():
        for param, value in zip(made.parameters(), (w_ih, w_hh, b_ih, b_hh), strict=True):
            param.copy_(value)
    return made


def unroll(step: nn.LSTMCell, inputs: list[torch.Tensor], carry: bool = True) -> tuple:
    """Run a cell over `inputs` in order: (every h, every c, last h, last c)."""
    hs, cs = [], []
    state = None
    with torch.no_grad():
        for x_t in inputs:
            h, c = step(x_t, state) if carry else step(x_t)
            state = (h, c)
            hs.append(h)
            cs.append(c)
    return hs, cs, h, c


def cell_predictions(state: dict, x: torch.Tensor, seed: int) -> Candidates:
    """What lstm_with_cell returns with each known mistake, simulated with nn.LSTMCell."""
    w_ih, w_hh = state["weight_ih_l0"], state["weight_hh_l0"]
    no_bias = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype)
    b_ih, b_hh = state.get("bias_ih_l0", no_bias), state.get("bias_hh_l0", no_bias)
    steps, batch, input_size = x.shape
    hidden = w_hh.shape[1]
    right = cell(w_ih, w_hh, b_ih, b_hh)

    def result(hs: list, h: torch.Tensor, c: torch.Tensor, dim: int = 0) -> tuple:
        return torch.stack(hs, dim), (h[None], c[None])

    with torch.random.fork_rng(devices=[]):
        # A learner's LSTMCell is created right after the probe seeds torch: its fresh biases.
        torch.manual_seed(seed)
        fresh = nn.LSTMCell(input_size, hidden, dtype=w_ih.dtype)
    zeros = torch.zeros_like(b_hh)
    candidates: Candidates = []
    if "bias_ih_l0" not in state:  # the cell kept the default bias=True: its random biases
        hs, _, h, c = unroll(cell(w_ih, w_hh, fresh.bias_ih, fresh.bias_hh), list(x))
        candidates.append(("cell_bias_not_matched", result(hs, h, c)))
    if input_size == hidden:
        hs, _, h, c = unroll(cell(w_hh, w_ih, b_ih, b_hh), list(x))
        candidates.append(("swapped_weights", result(hs, h, c)))
    for biases in ((b_ih, zeros), (b_ih, fresh.bias_hh), (zeros, zeros), (fresh.bias_ih, b_hh)):
        hs, _, h, c = unroll(cell(w_ih, w_hh, *biases), list(x))
        candidates.append(("missing_bias", result(hs, h, c)))
    hs, _, h, c = unroll(right, list(x.flip(0)))
    candidates.append(("reversed_time", result(hs, h, c)))
    candidates.append(("reversed_time", result(hs[::-1], h, c)))
    hs, cs, h, c = unroll(right, list(x))
    candidates.append(("cell_state_as_output", result(cs, h, c)))
    candidates.append(("state_missing_layer_dim", (torch.stack(hs), (h, c))))
    hs, _, h, c = unroll(right, list(x.transpose(0, 1)))
    candidates.append(("batch_first_confusion", result(hs, h, c, dim=1)))
    candidates.append(("batch_first_confusion", result(hs, h, c, dim=0)))
    hs, _, h, c = unroll(right, list(x), carry=False)
    candidates.append(("state_not_carried", result(hs, h, c)))
    return candidates


# A learner's exception that shows biases assumed, or a cell or zero state in float32.
VALUE_ERRORS = {
    "has no attribute 'bias_": "bias_assumed",
    "the same dtype": "cell_dtype_not_matched",
}
# ... or on the CPU, meeting the meta tensors that stand in for a GPU.
DEVICE_ERRORS = {
    "meta tensor": "cell_device_not_matched",
    "not on the expected device": "cell_device_not_matched",
}


@check("lstm_with_cell_values", devices="all")
@given(
    input_size=small,
    hidden_size=small,
    steps=small,
    batch=st.integers(1, 4),
    seed=seeds,
    bias=st.booleans(),
    double=st.booleans(),
)
def test_lstm_with_cell_values(
    learner, device, input_size, hidden_size, steps, batch, seed, bias, double
):
    generator = torch.Generator().manual_seed(seed)
    dtype = torch.float64 if double else torch.float32
    state = lstm_state(input_size, hidden_size, generator, bias, dtype)
    x = torch.randint(-2, 3, (steps, batch, input_size), generator=generator).to(dtype)
    options = ("" if bias else ", bias=False") + (", dtype=torch.float64" if double else "")
    example = {"lstm": Code(f"nn.LSTM({input_size}, {hidden_size}{options})"), "x": x}
    facts = probe_naming_errors(
        learner,
        "lstm_with_cell",
        example,
        VALUE_ERRORS,
        state=state,
        input_size=input_size,
        hidden_size=hidden_size,
        x=x,
        seed=seed,
        device=device,
    )
    output, (h_n, c_n) = reference_lstm(state, x)
    expect_close(
        facts["result"],
        (output, (h_n, c_n)),
        WITH_CELL,
        WITH_CELL,
        example,
        lambda: cell_predictions(state, x, seed),
        device,
    )
    if facts["devices"] != [device]:
        fail(
            say("result_device"),
            expected=Code(str([device])),
            got=Code(str(facts["devices"])),
            example=example,
        )
    if facts["lstm_unchanged"] is not True:
        fail(say("lstm_changed"), example=example)
    if device == "cpu":
        on_meta(learner, input_size, hidden_size, steps, batch, bias, example)


def on_meta(
    learner, input_size: int, hidden_size: int, steps: int, batch: int, bias: bool, example: dict
) -> None:
    """lstm_with_cell with the LSTM and x on another device than the CPU, emulated with the
    meta device (no GPU needed): what it returns must be on that device, with the right shapes."""
    shown = {**example, "device": Code("meta")}  # a GPU, emulated
    try:
        facts = probe_naming_errors(
            learner,
            "lstm_with_cell_meta",
            shown,
            {**VALUE_ERRORS, **DEVICE_ERRORS},
            input_size=input_size,
            hidden_size=hidden_size,
            steps=steps,
            batch=batch,
            bias=bias,
        )
    except NotImplementedYet:  # it ran on the CPU: this is "Cannot copy out of meta tensor"
        fail(say("meta_copy"), example=shown, mistake="cell_device_not_matched")
    want = [[steps, batch, hidden_size], [1, batch, hidden_size], [1, batch, hidden_size]]
    if facts["devices"] != ["meta"] or facts["shapes"] != want:
        fail(
            say("meta_result"),
            expected={"devices": ["meta"], "shapes": want},
            got={"devices": facts["devices"], "shapes": facts["shapes"]},
            example=shown,
            mistake="cell_device_not_matched" if "cpu" in facts["devices"] else None,
        )


# The fused recurrent kernels, by the torch function (torch._VF.lstm, TorchFunctionMode) and
# the ATen kernels it becomes on each backend. nn.LSTMCell runs lstm_cell (and on CUDA
# _thnn_fused_lstm_cell): those are the step the exercise asks for, so they are allowed.
FUSED_LSTM = {
    "lstm",
    "aten.lstm",
    "aten.mkldnn_rnn_layer",
    "aten._cudnn_rnn",
    "aten.miopen_rnn",
}


def fused_lstm_ran(learner) -> list[str]:
    """The fused LSTM operations that ran inside lstm_with_cell on a small CPU case.

    Runtime evidence sees `lstm_with_cell = lambda lstm, x: lstm(x)` and any other spelling;
    a function that raises ran nothing here (the values check reports what it raised).
    """
    generator = torch.Generator().manual_seed(0)
    state = lstm_state(3, 2, generator)
    x = torch.randn(2, 1, 3, generator=generator)
    try:
        facts = learner.probe(
            "lstm_with_cell", state=state, input_size=3, hidden_size=2, x=x, seed=0, device="cpu"
        )
    except (LearnerRaised, NotImplementedYet):
        return []
    ran = facts.get("ran") if type(facts) is dict else None
    names = [n for n in ran if type(n) is str] if type(ran) is list else []
    return [n for n in names if n in FUSED_LSTM]


@check("lstm_with_cell_by_hand", devices="any")
def test_lstm_with_cell_by_hand(learner, source):
    ran = fused_lstm_ran(learner)
    functions = [
        node
        for node in source.tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "lstm_with_cell"
    ]
    found = [
        (name, line)
        for function in functions
        for name, line in calls_to(function, {"lstm", "lstm.forward", "lstm.__call__"})
    ]
    if ran or found:
        # Operation names and source lines: code, the same in every language.
        said = [say("fused_ran", kernels=", ".join(ran[:4]))] if ran else []
        said += [say("lstm_line", line=line, code=f"{name}(...)") for name, line in found]
        evidence = said[0]
        for more in said[1:]:
            evidence = say("and_also", first=evidence, then=more)
        fail(say("called_lstm", evidence=evidence), mistake="called_full_lstm")
