"""Hidden checks for exercise 6: PairsDataset, make_loader, count_batches and pad_collate."""

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

from grader.checking import (
    check,
    expect_same,
    expect_type,
    fail,
    plural,
    same,
    show,
    type_name,
    which_mistake,
)
from grader.sandbox.proxy import LearnerRaised


class Shown:
    """An example value rendered as the code that builds it."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def batch_ids(n: int, batch_size: int, drop_last: bool) -> list[list[int]]:
    """The batches of sample ids an unshuffled DataLoader gives, computed by torch itself."""
    # Any sized, indexable sequence is a map-style dataset; torch's stubs ask for a Dataset.
    loader: DataLoader[int] = DataLoader(
        range(n),  # type: ignore[arg-type]
        batch_size=batch_size,
        drop_last=drop_last,
    )
    return [batch.tolist() for batch in loader]


def positional_arguments(raised: LearnerRaised, example: dict) -> None:
    """Name the mistake when DataLoader refused arguments that landed in the wrong parameters."""
    if raised.is_a("ValueError") and "mutually exclusive" in raised.message:
        fail(
            f"DataLoader raised ValueError: {raised.message}",
            example=example,
            mistake="positional_arguments",
        )


@check("count_batches")
@given(n=st.integers(0, 200), batch_size=st.integers(1, 64), drop_last=st.booleans())
def test_count_batches(learner, n, batch_size, drop_last):
    example = {"n": n, "batch_size": batch_size, "drop_last": drop_last}
    got = learner.probe("count_batches", n=n, batch_size=batch_size, drop_last=drop_last)
    got = expect_type(got, int, "count_batches", example)
    want = len(DataLoader(range(n), batch_size=batch_size, drop_last=drop_last))
    floor, ceil = n // batch_size, -(-n // batch_size)
    expect_same(
        got,
        want,
        "count_batches(n, batch_size, drop_last)",
        example=example,
        mistakes={
            "batches_off_by_one": floor + 1 if n % batch_size == 0 else None,
            "batches_floor_always": None if drop_last else floor,
            "batches_ceil_always": ceil if drop_last else None,
        },
    )


@check("dataset_items")
@given(n=st.integers(1, 12), features=st.integers(0, 3), seed=st.integers(0, 99))
def test_dataset_items(learner, n, features, seed):
    generator = torch.Generator().manual_seed(seed)
    xs = torch.rand((n, features) if features else (n,), generator=generator)
    ys = torch.randint(0, 10, (n,), generator=generator)
    example = {"xs": xs, "ys": ys}
    try:
        got = learner.probe("dataset", xs=xs, ys=ys)
    except LearnerRaised as raised:
        if raised.is_a("ValueError") and xs.shape != ys.shape:
            fail(
                f"PairsDataset(xs, ys) raised ValueError for xs of shape {tuple(xs.shape)} and "
                f"ys of shape {tuple(ys.shape)}: their lengths are equal ({n}).",
                example=example,
                mistake="compares_shapes",
            )
        raise
    length = expect_type(got["len"], int, "len(PairsDataset(xs, ys))", example)
    expect_same(
        length,
        n,
        "len(PairsDataset(xs, ys))",
        example=example,
        mistakes={"len_counts_elements": xs.numel(), "len_off_by_one": n - 1},
    )
    first = got["items"][0]
    if type(first) is not tuple:
        fail(
            f"dataset[0] returned a {type_name(first)}: {show(first, 120)}; expected the tuple "
            "(xs[0], ys[0]).",
            example=example,
        )
    expect_same(
        got["items"],
        [(xs[i], ys[i]) for i in range(n)],
        "[dataset[i] for i in range(n)], each the tuple (xs[i], ys[i]),",
        example=example,
    )


@check("dataset_rejects_unequal")
@given(n=st.integers(1, 10), m=st.integers(1, 10), features=st.integers(1, 3))
def test_dataset_rejects_unequal(learner, n, m, features):
    if n == m:
        m += 1
    xs, ys = torch.zeros(n, features), torch.zeros(m, dtype=torch.int64)
    example = {"xs": xs, "ys": ys}
    try:
        got = learner.probe("dataset_unequal", xs=xs, ys=ys)
    except LearnerRaised as raised:
        if raised.is_a("ValueError"):
            return
        if raised.is_a("AssertionError"):
            fail(
                "PairsDataset raised AssertionError; the contract asks for ValueError "
                "(assert statements vanish under `python -O`).",
                example=example,
                mistake="assert_not_raise",
            )
        fail(
            f"PairsDataset raised {raised.type_name}: {raised.message}; expected ValueError.",
            example=example,
            mistake="wrong_exception",
        )
    fail(
        f"PairsDataset accepted {n} inputs and {m} targets (its len() is {show(got['len'])}) "
        "instead of raising ValueError.",
        expected="ValueError",
        got="a dataset",
        example=example,
        mistake="no_length_check",
    )


@check("dataset_picklable")
@given(n=st.integers(1, 8))
def test_dataset_picklable(learner, n):
    example = {"xs": torch.arange(n), "ys": torch.arange(n) + 1000}
    got = learner.probe("dataset_pickle", n=n)
    if not got["picklable"]:
        fail(
            f"pickle.dumps(PairsDataset(xs, ys)) failed: {got['error']}\n"
            "DataLoader worker processes started with 'spawn' (Windows, macOS) or 'forkserver' "
            "(Linux from Python 3.14) receive the dataset pickled, so this dataset would fail "
            "as soon as num_workers > 0 there.",
            example=example,
            mistake="unpicklable_dataset",
        )
    expect_same(
        got["items"],
        [(x, y) for x, y in zip(example["xs"], example["ys"], strict=True)],
        "[copy[i] for i in range(n)] of the unpickled copy",
        example=example,
    )


@check("make_loader_arguments")
@given(
    n=st.integers(1, 30),
    batch_size=st.integers(1, 8),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    num_workers=st.integers(1, 2),
)
def test_make_loader_arguments(learner, n, batch_size, shuffle, drop_last, num_workers):
    # The defaults, the drawn options and their opposites: every argument takes two values.
    drawn = {"shuffle": shuffle, "drop_last": drop_last, "num_workers": num_workers}
    opposite = {"shuffle": not shuffle, "drop_last": not drop_last, "num_workers": 0}
    for options in ({}, drawn, opposite):
        expect_loader_uses(learner, n, batch_size, options)


def expect_loader_uses(learner, n: int, batch_size: int, options: dict) -> None:
    """make_loader(dataset, batch_size, **options) holds and uses exactly these arguments."""
    want = {"shuffle": False, "drop_last": False, "num_workers": 0} | options
    example = {
        "dataset": Shown(f"TensorDataset(torch.arange({n}))"),
        "batch_size": batch_size,
        **options,
    }
    try:
        got = learner.probe("make_loader", n=n, batch_size=batch_size, options=options)
    except LearnerRaised as raised:
        positional_arguments(raised, example)
        raise
    if not got["is_loader"]:
        fail(f"make_loader returned a {got['type']}, not a DataLoader.", example=example)
    for name, value in [("batch_size", batch_size), *want.items()]:
        if got[name] != value:
            held = f"uses the sampler {got['sampler']}" if name == "shuffle" else f"has {got[name]}"
            asked = f"{name}={value}" + (
                "" if name in options or name == "batch_size" else " (default)"
            )
            fail(
                f"make_loader(...) was asked for {asked}, but its DataLoader {held}.",
                expected=value,
                got=got[name],
                example=example,
                mistake=f"loader_ignores_{name}",
            )
    if not got["same_dataset"]:
        fail("the DataLoader does not read the dataset make_loader was given.", example=example)
    if "batches" in got:
        wanted = batch_ids(n, batch_size, want["drop_last"])
        if want["shuffle"]:
            expect_same(
                [len(b) for b in got["batches"]],
                [len(b) for b in wanted],
                "the sizes of the shuffled batches",
                example=example,
            )
        else:
            expect_same(got["batches"], wanted, "the batches of sample ids", example=example)


@check("epoch_sees_every_sample")
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 8),
    drop_last=st.booleans(),
    seed=st.integers(0, 999),
)
def test_epoch_sees_every_sample(learner, n, batch_size, drop_last, seed):
    example = {
        "dataset": Shown(f"PairsDataset(torch.arange({n}), torch.arange({n}) + 1000)"),
        "batch_size": batch_size,
        "shuffle": True,
        "drop_last": drop_last,
    }
    try:
        got = learner.probe("epochs", n=n, batch_size=batch_size, drop_last=drop_last, seed=seed)
    except LearnerRaised as raised:
        positional_arguments(raised, example)
        if n == 1 and "num_samples=0" in raised.message:
            fail(
                f"a shuffled DataLoader over one sample raised: {raised.message}",
                example=example,
                mistake="len_off_by_one",
            )
        raise
    sizes = [len(b) for b in batch_ids(n, batch_size, drop_last)]
    for number, epoch in enumerate(got["epochs"], 1):
        seen = epoch["x"]
        where = f"epoch {number}"
        if len(set(seen)) != len(seen):
            repeated = sorted({i for i in seen if seen.count(i) > 1})
            fail(
                f"{where} saw samples {repeated} more than once: each sample comes once per epoch."
                f"\n  seen: {show(seen)}",
                example=example,
                mistake="sampling_with_replacement" if got["len"] == n else None,
            )
        if len(seen) != sum(sizes) or not set(seen) <= set(range(n)):
            missing = sorted(set(range(n)) - set(seen))
            if got["len"] == n - 1:
                mistake = "len_off_by_one"
            elif len(seen) > sum(sizes) and got["len"] == n:
                mistake = "loader_ignores_drop_last"
            else:
                mistake = None
            fail(
                f"{where} saw {len(seen)} {plural(len(seen), 'sample')}, expected {sum(sizes)}"
                + (f"; never seen: {missing}" if missing else "")
                + f" (len(dataset) is {show(got['len'])}).",
                example=example,
                mistake=mistake,
            )
        if epoch["y"] != [i + 1000 for i in seen]:
            fail(
                f"{where}: targets no longer match their inputs (input i has target i + 1000).\n"
                f"  inputs:  {show(seen)}\n  targets: {show(epoch['y'])}",
                example=example,
            )
        expect_same(epoch["sizes"], sizes, f"the batch sizes of {where}", example=example)


@check("workers_run")
def test_workers_run(learner):
    n, batch_size, num_workers = 10, 3, 2
    example = {
        "dataset": Shown(f"PairsDataset(torch.arange({n}), torch.arange({n}) + 1000)"),
        "batch_size": batch_size,
        "num_workers": num_workers,
    }
    try:
        got = learner.probe("workers", n=n, batch_size=batch_size, num_workers=num_workers)
    except LearnerRaised as raised:
        positional_arguments(raised, example)
        raise
    if not got["is_loader"]:
        fail(f"make_loader returned a {got['type']}, not a DataLoader.", example=example)
    if got["num_workers"] != num_workers or got["iterator"] != "_MultiProcessingDataLoaderIter":
        fail(
            f"make_loader(..., num_workers={num_workers}) built a DataLoader with "
            f"num_workers={got['num_workers']}, iterated by {got['iterator']}.",
            example=example,
            mistake="loader_ignores_num_workers",
        )
    want = [(b, [i + 1000 for i in b]) for b in batch_ids(n, batch_size, False)]
    if not same(got["batches"], want):
        seen = [i for inputs, _ in got["batches"] for i in inputs]
        fail(
            f"the (inputs, targets) batches loaded by 2 workers differ.\n  expected: {show(want)}"
            f"\n  got:      {show(got['batches'])}",
            expected=want,
            got=got["batches"],
            example=example,
            mistake="len_off_by_one" if seen == list(range(n - 1)) else None,
        )


# (length, label, seed) of one sequence, and a batch of them.
one_sequence = st.tuples(st.integers(1, 6), st.integers(0, 9), st.integers(0, 999))
sequences = st.lists(one_sequence, min_size=1, max_size=5)
seq_dtypes = st.sampled_from([torch.int64, torch.float32])


def make_batch(spec: list, dtype: torch.dtype) -> tuple[list[torch.Tensor], list[int]]:
    """1-D sequences of nonzero values (padding stays visible) and their labels."""
    seqs = [
        torch.randint(1, 100, (length,), generator=torch.Generator().manual_seed(seed)).to(dtype)
        for length, _, seed in spec
    ]
    return seqs, [label for _, label, _ in spec]


def collated(seqs: list[torch.Tensor], labels: list[int]) -> tuple:
    """What pad_collate should return, computed with torch's pad_sequence."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)
    return pad_sequence(seqs, batch_first=True), lengths, torch.tensor(labels, dtype=torch.int64)


def padded_mistake(got: torch.Tensor, seqs: list[torch.Tensor], labels: list[int]) -> str | None:
    """The known mistake whose padded tensor `got` is, if any."""
    want = collated(seqs, labels)[0]
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]), reverse=True)
    left = pad_sequence([s.flip(0) for s in seqs], batch_first=True).flip(1)
    found = which_mistake(
        got,
        {
            "pad_left": left,
            "pad_time_major": want.T,
            "sorted_by_length": collated([seqs[i] for i in order], labels)[0],
            "padded_dtype_changed": want.float() if want.dtype != torch.float32 else want.long(),
        },
    )
    if found is None and type(got) is torch.Tensor and got.shape == want.shape:
        real = want != 0
        if torch.equal(got[real].to(want.dtype), want[real]) and not (got[~real] == 0).all():
            found = "pad_value_not_zero"
    return found


def collate_mistake(got: object, seqs: list[torch.Tensor], labels: list[int]) -> str | None:
    """The known mistake a whole (padded, lengths, labels) answer shows, if any."""
    if type(got) is not tuple or len(got) != 3 or type(got[0]) is not torch.Tensor:
        return None
    want = collated(seqs, labels)
    if not same(got[0], want[0]):
        return padded_mistake(got[0], seqs, labels)
    for value in got[1:]:
        if type(value) is torch.Tensor and value.dtype != torch.int64:
            return "lengths_labels_not_int64"
    return None


def expect_triple(got: object, example: dict) -> tuple:
    """pad_collate's answer as a tuple of three tensors, or a failure that says what it was."""
    value = expect_type(got, tuple, "pad_collate", example)
    if len(value) != 3:
        fail(f"pad_collate returned {len(value)} values, expected 3.", example=example)
    return value


@check("pad_collate_padding")
@given(spec=sequences, dtype=seq_dtypes)
def test_pad_collate_padding(learner, spec, dtype):
    seqs, labels = make_batch(spec, dtype)
    example = {"batch": list(zip(seqs, labels, strict=True))}
    got = learner.probe("pad_collate", sequences=seqs, labels=labels)
    padded = expect_type(expect_triple(got["value"], example)[0], torch.Tensor, "padded", example)
    want = collated(seqs, labels)[0]
    if not same(padded, want):
        fail(
            f"padded: expected {show(want)}\n  got: {show(padded)}",
            expected=want,
            got=padded,
            example=example,
            mistake=padded_mistake(padded, seqs, labels),
        )


@check("pad_collate_lengths_labels")
@given(spec=sequences)
def test_pad_collate_lengths_labels(learner, spec):
    seqs, labels = make_batch(spec, torch.int64)
    example = {"batch": list(zip(seqs, labels, strict=True))}
    got = expect_triple(
        learner.probe("pad_collate", sequences=seqs, labels=labels)["value"], example
    )
    _, lengths, wanted_labels = collated(seqs, labels)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]), reverse=True)
    for name, value, want in [("lengths", got[1], lengths), ("labels", got[2], wanted_labels)]:
        if type(value) is torch.Tensor and value.dtype != torch.int64 and value.shape == want.shape:
            fail(
                f"{name} has dtype {value.dtype}, expected torch.int64.",
                expected=want,
                got=value,
                example=example,
                mistake="lengths_labels_not_int64",
            )
        value = expect_type(value, torch.Tensor, name, example)
        expect_same(value, want, name, example=example, mistakes={"sorted_by_length": want[order]})


@check("pad_collate_in_loader")
@given(spec=st.lists(one_sequence, min_size=1, max_size=9), bs=st.integers(1, 4))
def test_pad_collate_in_loader(learner, spec, bs):
    seqs, labels = make_batch(spec, torch.int64)
    example = {"dataset": list(zip(seqs, labels, strict=True)), "batch_size": bs}
    got = learner.probe("pad_collate_loader", sequences=seqs, labels=labels, batch_size=bs)
    want = [collated(seqs[i : i + bs], labels[i : i + bs]) for i in range(0, len(seqs), bs)]
    batches = got["batches"]
    if same(batches, want):
        return
    both = min(len(batches), len(want))
    k = next((k for k in range(both) if not same(batches[k], want[k])), both)
    got_k, want_k = batches[k] if k < len(batches) else None, want[k] if k < len(want) else None
    fail(
        f"the batches of DataLoader(dataset, batch_size, collate_fn=pad_collate) differ, first "
        f"at batch {k}:\n  expected: {show(want_k)}\n  got:      {show(got_k)}",
        expected=want,
        got=batches,
        example=example,
        mistake=collate_mistake(got_k, seqs[k * bs : (k + 1) * bs], labels[k * bs : (k + 1) * bs]),
    )
