"""Probes for exercise 6: the learner's dataset, loader and collate_fn, used in real DataLoaders."""

import multiprocessing
import pickle
import warnings
from typing import Any

import torch
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from grader.probes.common import *  # noqa: F403
from grader.probes.common import get


def _ids(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs 0..n-1 and targets 1000..1000+n-1: each sample, and its pairing, readable."""
    xs = torch.arange(n)
    return xs, xs + 1000


def probe_count_batches(module: Any, n: int, batch_size: int, drop_last: bool) -> Any:
    """count_batches(n, batch_size, drop_last=drop_last)."""
    return get(module, "count_batches")(n, batch_size, drop_last=drop_last)


def probe_dataset(module: Any, xs: torch.Tensor, ys: torch.Tensor) -> dict:
    """len() of the learner's PairsDataset and its items at 0..len(xs)-1."""
    dataset = get(module, "PairsDataset")(xs, ys)
    return {"len": len(dataset), "items": [dataset[i] for i in range(len(xs))]}


def probe_dataset_unequal(module: Any, xs: torch.Tensor, ys: torch.Tensor) -> dict:
    """Whether PairsDataset accepted inputs of unequal lengths (an exception propagates)."""
    dataset = get(module, "PairsDataset")(xs, ys)
    try:
        length = len(dataset)
    except Exception:  # noqa: BLE001 - only evidence of what was built
        length = None
    return {"created": True, "len": length}


def probe_dataset_pickle(module: Any, n: int) -> dict:
    """Whether the dataset survives pickle (what spawn/forkserver workers need), and its copy."""
    dataset = get(module, "PairsDataset")(*_ids(n))
    try:
        data = pickle.dumps(dataset)
    except Exception as exc:  # noqa: BLE001 - the error text is the evidence
        return {"picklable": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    copy = pickle.loads(data)
    return {"picklable": True, "len": len(copy), "items": [copy[i] for i in range(n)]}


def _loader_facts(loader: Any) -> dict:
    """What a loader was built with, read from the DataLoader itself."""
    if not isinstance(loader, DataLoader):
        return {"is_loader": False, "type": type(loader).__name__}
    return {
        "is_loader": True,
        "batch_size": loader.batch_size,
        "shuffle": isinstance(loader.sampler, RandomSampler),
        "sampler": type(loader.sampler).__name__,
        "drop_last": loader.drop_last,
        "num_workers": loader.num_workers,
    }


def probe_make_loader(module: Any, n: int, batch_size: int, options: dict) -> dict:
    """The arguments a make_loader loader holds and, in-process, the batches it yields."""
    dataset = TensorDataset(torch.arange(n))
    with warnings.catch_warnings():
        # DataLoader warns when num_workers exceeds this machine's cores; the probe chose them.
        warnings.simplefilter("ignore", UserWarning)
        loader = get(module, "make_loader")(dataset, batch_size, **options)
    facts = _loader_facts(loader)
    if facts["is_loader"]:
        facts["same_dataset"] = loader.dataset is dataset
        if loader.num_workers == 0:
            facts["batches"] = [batch[0].tolist() for batch in loader]
    return facts


def probe_epochs(
    module: Any, n: int, batch_size: int, drop_last: bool, seed: int, epochs: int = 2
) -> dict:
    """The sample ids each epoch of a shuffled make_loader over PairsDataset yields."""
    torch.manual_seed(seed)
    dataset = get(module, "PairsDataset")(*_ids(n))
    loader = get(module, "make_loader")(dataset, batch_size, shuffle=True, drop_last=drop_last)
    result: dict = {"len": len(dataset), "epochs": []}
    for _ in range(epochs):
        xs, ys, sizes = [], [], []
        for x, y in loader:
            xs += x.tolist()
            ys += y.tolist()
            sizes.append(len(y))
        result["epochs"].append({"x": xs, "y": ys, "sizes": sizes})
    return result


def probe_workers(module: Any, n: int, batch_size: int, num_workers: int) -> dict:
    """Batches of a make_loader with worker processes, forked from this worker."""
    dataset = get(module, "PairsDataset")(*_ids(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loader = get(module, "make_loader")(dataset, batch_size, num_workers=num_workers)
        facts = _loader_facts(loader)
        if not facts["is_loader"]:
            return facts
        if loader.num_workers > 0 and loader.multiprocessing_context is None:
            # Fork shares the dataset without pickling it (picklability is probed separately),
            # and it is the one start method that needs nothing from the stripped environment.
            if "fork" in multiprocessing.get_all_start_methods():
                loader.multiprocessing_context = "fork"
        iterator = iter(loader)
        facts["iterator"] = type(iterator).__name__
        facts["batches"] = [(x.tolist(), y.tolist()) for x, y in iterator]
    return facts


def probe_pad_collate(module: Any, sequences: list, labels: list) -> dict:
    """pad_collate on a batch of (sequence, int label) pairs."""
    batch = [(seq, int(label)) for seq, label in zip(sequences, labels, strict=True)]
    return {"value": get(module, "pad_collate")(batch)}


def probe_pad_collate_loader(module: Any, sequences: list, labels: list, batch_size: int) -> dict:
    """Every batch of a DataLoader that uses pad_collate as its collate_fn."""
    data = [(seq, int(label)) for seq, label in zip(sequences, labels, strict=True)]
    # Any sized, indexable sequence is a map-style dataset; torch's stubs ask for a Dataset.
    loader: DataLoader[Any] = DataLoader(
        data,  # type: ignore[arg-type]
        batch_size=batch_size,
        collate_fn=get(module, "pad_collate"),
    )
    return {"batches": list(loader)}
