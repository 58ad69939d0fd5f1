"""Hidden checks for exercise 6: PairsDataset, make_loader, count_batches and pad_collate."""

import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

from grader.checking import (
    Code,
    check,
    expect_same,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    raised,
    same,
    type_name,
    which_mistake,
)
from grader.sandbox.proxy import LearnerRaised

say = messages(__name__)


def small_values(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """Whole numbers stored as float (seed 0: 1, 2, 3, ...), so a counterexample reads short."""
    if seed == 0:
        return torch.arange(1, 1 + torch.Size(shape).numel()).reshape(shape).float()
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(-9, 10, shape, generator=generator).float()


def batch_ids(n: int, batch_size: int, drop_last: bool) -> list[list[int]]:
    """The batches of sample ids an unshuffled DataLoader gives, computed by torch itself."""
    # Any sized, indexable sequence is a map-style dataset; torch's stubs ask for a Dataset.
    loader: DataLoader[int] = DataLoader(
        range(n),  # type: ignore[arg-type]
        batch_size=batch_size,
        drop_last=drop_last,
    )
    return [batch.tolist() for batch in loader]


def first_difference(got: list, want: list) -> tuple[int, object, object]:
    """The index of the first batch that differs, with that batch of each (None past the end)."""
    both = min(len(got), len(want))
    k = next((k for k in range(both) if not same(got[k], want[k])), both)
    return k, got[k] if k < len(got) else None, want[k] if k < len(want) else None


# What DataLoader raises when drop_last (or shuffle) landed in sampler or batch_sampler.
POSITIONAL = {"mutually exclusive": "positional_arguments"}


def positional_arguments(error: LearnerRaised, example: dict) -> None:
    """Name the mistake when DataLoader refused arguments that landed in the wrong parameters."""
    if error.is_a("ValueError") and "mutually exclusive" in error.message:
        fail(raised(error), example=example, mistake="positional_arguments")


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
    xs = small_values((n, features) if features else (n,), seed)
    ys = torch.randint(0, 10, (n,), generator=torch.Generator().manual_seed(seed))
    example = {"xs": xs, "ys": ys}
    try:
        got = learner.probe("dataset", xs=xs, ys=ys)
    except LearnerRaised as error:
        if error.is_a("ValueError") and xs.shape != ys.shape:
            fail(
                say(
                    "compares_shapes",
                    xs_shape=str(tuple(xs.shape)),
                    ys_shape=str(tuple(ys.shape)),
                    n=n,
                ),
                got=raised(error),
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
            say("item_not_tuple", kind=type_name(first)),
            expected=(xs[0], ys[0]),
            got=first,
            example=example,
        )
    expect_same(
        got["items"],
        [(xs[i], ys[i]) for i in range(n)],
        "[dataset[i] for i in range(n)]",
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
    except LearnerRaised as error:
        if error.is_a("ValueError"):
            return
        if error.is_a("AssertionError"):
            fail(say("assert_not_raise"), example=example, mistake="assert_not_raise")
        fail(
            say("wrong_exception"),
            expected=Code("ValueError"),
            got=raised(error),
            example=example,
            mistake="wrong_exception",
        )
    fail(
        say("no_length_check", n=n, m=m),
        expected=Code("ValueError"),
        got=Code(f"PairsDataset, len(dataset) == {got['len']!r}"),
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
            say("not_picklable", error=str(got["error"])),
            example=example,
            mistake="unpicklable_dataset",
        )
    expect_same(
        got["items"],
        [(x, y) for x, y in zip(example["xs"], example["ys"], strict=True)],
        "[pickle.loads(pickle.dumps(dataset))[i] for i in range(n)]",
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
        "dataset": Code(f"TensorDataset(torch.arange({n}))"),
        "batch_size": batch_size,
        **options,
    }
    got = probe_naming_errors(
        learner, "make_loader", example, POSITIONAL, n=n, batch_size=batch_size, options=options
    )
    if not got["is_loader"]:
        fail(say("not_a_loader", kind=str(got["type"])), example=example)
    for name, value in [("batch_size", batch_size), *want.items()]:
        if got[name] == value:
            continue
        asked = name in options or name == "batch_size"
        if name == "shuffle":
            message = (
                say("loader_shuffle", value=str(value)) if asked else say("loader_shuffle_default")
            )
            samplers = ("SequentialSampler", "RandomSampler")
            expected, held = Code(samplers[value]), Code(str(got["sampler"]))
        else:
            key = "loader_argument" if asked else "loader_default"
            message = say(key, name=name, value=str(value))
            expected, held = value, got[name]
        fail(
            message,
            expected=expected,
            got=held,
            example=example,
            mistake=f"loader_ignores_{name}",
        )
    if not got["same_dataset"]:
        fail(say("other_dataset"), example=example)
    if "batches" in got:
        wanted = batch_ids(n, batch_size, want["drop_last"])
        if want["shuffle"]:
            expect_same(
                [len(b) for b in got["batches"]],
                [len(b) for b in wanted],
                "[len(batch) for batch in loader]",
                example=example,
            )
        else:
            expect_same(
                got["batches"], wanted, "[batch.tolist() for batch in loader]", example=example
            )


@check("epoch_sees_every_sample")
@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 8),
    drop_last=st.booleans(),
    seed=st.integers(0, 999),
)
def test_epoch_sees_every_sample(learner, n, batch_size, drop_last, seed):
    example = {
        "dataset": Code(f"PairsDataset(torch.arange({n}), torch.arange({n}) + 1000)"),
        "batch_size": batch_size,
        "shuffle": True,
        "drop_last": drop_last,
    }
    try:
        got = learner.probe("epochs", n=n, batch_size=batch_size, drop_last=drop_last, seed=seed)
    except LearnerRaised as error:
        positional_arguments(error, example)
        if n == 1 and "num_samples=0" in error.message:
            fail(
                say("one_sample_raised", error=raised(error)),
                example=example,
                mistake="len_off_by_one",
            )
        raise
    sizes = [len(b) for b in batch_ids(n, batch_size, drop_last)]
    for number, epoch in enumerate(got["epochs"], 1):
        seen = epoch["x"]
        if len(set(seen)) != len(seen):
            repeated = sorted({i for i in seen if seen.count(i) > 1})
            fail(
                say("epoch_repeats", number=number, repeated=str(repeated)),
                got=seen,
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
            length = repr(got["len"])
            fail(
                say("epoch_count_missing", number=number, length=length, missing=str(missing))
                if missing
                else say("epoch_count", number=number, length=length),
                expected=sum(sizes),
                got=len(seen),
                example=example,
                mistake=mistake,
            )
        if epoch["y"] != [i + 1000 for i in seen]:
            fail(
                say("epoch_targets", number=number),
                expected=[i + 1000 for i in seen],
                got=epoch["y"],
                example=example,
            )
        expect_same(epoch["sizes"], sizes, "[len(x) for x, y in loader]", example=example)


@check("workers_run")
def test_workers_run(learner):
    n, batch_size, num_workers = 10, 3, 2
    example = {
        "dataset": Code(f"PairsDataset(torch.arange({n}), torch.arange({n}) + 1000)"),
        "batch_size": batch_size,
        "num_workers": num_workers,
    }
    got = probe_naming_errors(
        learner, "workers", example, POSITIONAL, n=n, batch_size=batch_size, num_workers=num_workers
    )
    if not got["is_loader"]:
        fail(say("not_a_loader", kind=str(got["type"])), example=example)
    if got["num_workers"] != num_workers or got["iterator"] != "_MultiProcessingDataLoaderIter":
        fail(
            say("workers_unused", workers=num_workers),
            expected=(num_workers, Code("_MultiProcessingDataLoaderIter")),
            got=(got["num_workers"], Code(str(got["iterator"]))),
            example=example,
            mistake="loader_ignores_num_workers",
        )
    want = [(b, [i + 1000 for i in b]) for b in batch_ids(n, batch_size, False)]
    if not same(got["batches"], want):
        seen = [i for inputs, _ in got["batches"] for i in inputs]
        k, got_k, want_k = first_difference(got["batches"], want)
        fail(
            say("workers_batches", workers=num_workers, index=k),
            expected=want_k,
            got=got_k,
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
        torch.randint(1, 10, (length,), generator=torch.Generator().manual_seed(seed)).to(dtype)
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
        fail(say("collate_count"), expected=3, got=len(value), example=example)
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
            say("padded_differs"),
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
                say("not_int64", name=name, dtype=str(value.dtype)),
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
    k, got_k, want_k = first_difference(batches, want)
    fail(
        say("collate_in_loader", index=k),
        expected=want_k,
        got=got_k,
        example=example,
        mistake=collate_mistake(got_k, seqs[k * bs : (k + 1) * bs], labels[k * bs : (k + 1) * bs]),
    )
