"""What the teaching text claims is what torch does: each claim a learner reads, run here.

Exercise 8 teaches where the chunk weighting of data parallelism comes from. nn.DataParallel
needs a GPU per replica, so its two steps that matter are simulated on the CPU: the replicate
step is a differentiable copy of every parameter (its backward sums the replicas' gradients),
and the gather step concatenates the replicas' outputs before one loss is computed.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn
from torch.func import functional_call

ROOT = Path(__file__).resolve().parent.parent


def reference(stem: str):
    """Import a reference solution by path (solutions/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        f"reference_{stem}", ROOT / "solutions" / f"{stem}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def batch(rows: int) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(rows, 3, generator=generator), torch.randn(rows, 2, generator=generator)


def whole_batch_grads(model: nn.Module, x: Tensor, y: Tensor) -> dict[str, Tensor]:
    """The gradient of the mean loss over the whole batch, on one device."""
    replica = copy.deepcopy(model)
    nn.MSELoss()(replica(x), y).backward()
    return {name: p.grad.clone() for name, p in replica.named_parameters()}


def chunks(x: Tensor, sizes: list[int]) -> tuple[Tensor, ...]:
    return torch.split(x, sizes)


# Unequal chunks are where the weighting question arises: 7 rows over 2 and 3 replicas.
SIZES = [[4, 3], [3, 2, 2]]


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_data_parallel_sums_replica_grads_of_one_gathered_loss(sizes: list[int]) -> None:
    model = small_model()
    x, y = batch(sum(sizes))
    params = dict(model.named_parameters())
    outputs = []
    for x_chunk in chunks(x, sizes):
        # Replicate: a differentiable copy of every parameter, as Broadcast is on GPUs.
        replica = {name: p.clone() for name, p in params.items()}
        outputs.append(functional_call(model, replica, (x_chunk,)))
    # Gather, then ONE loss on the whole batch: backward sums the replicas' gradients.
    nn.MSELoss()(torch.cat(outputs), y).backward()
    expected = whole_batch_grads(model, x, y)
    for name, p in model.named_parameters():
        torch.testing.assert_close(p.grad, expected[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_per_replica_mean_losses_need_chunk_weights(sizes: list[int]) -> None:
    model = small_model()
    x, y = batch(sum(sizes))
    grads = []
    for x_chunk, y_chunk in zip(chunks(x, sizes), chunks(y, sizes), strict=True):
        replica = copy.deepcopy(model)
        nn.MSELoss()(replica(x_chunk), y_chunk).backward()  # its own mean loss, as in DDP
        grads.append({name: p.grad for name, p in replica.named_parameters()})
    expected = whole_batch_grads(model, x, y)
    total = sum(sizes)
    for name in expected:
        weighted = sum(size / total * g[name] for size, g in zip(sizes, grads, strict=True))
        plain_average = sum(g[name] for g in grads) / len(grads)
        torch.testing.assert_close(weighted, expected[name], rtol=1e-5, atol=1e-6)
        assert not torch.allclose(plain_average, expected[name], rtol=1e-4, atol=1e-6), name


def test_equal_chunks_make_the_plain_average_right() -> None:
    model = small_model()
    x, y = batch(6)
    grads = []
    for x_chunk, y_chunk in zip(chunks(x, [3, 3]), chunks(y, [3, 3]), strict=True):
        replica = copy.deepcopy(model)
        nn.MSELoss()(replica(x_chunk), y_chunk).backward()
        grads.append({name: p.grad for name, p in replica.named_parameters()})
    expected = whole_batch_grads(model, x, y)
    for name in expected:
        torch.testing.assert_close((grads[0][name] + grads[1][name]) / 2, expected[name])


def test_reference_data_parallel_grads_is_the_whole_batch_gradient() -> None:
    module = reference("exercise08_data_parallel")
    model = small_model()
    x, y = batch(7)
    result = module.data_parallel_grads(model, nn.MSELoss(), x, y, 3)
    expected = whole_batch_grads(model, x, y)
    assert result.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(result[name], expected[name], rtol=1e-5, atol=1e-6)


# The smaller claims of the stubs' docstrings and the catalog, each as torch 2.x behaves.


def test_second_backward_fails_only_when_the_graph_saved_tensors() -> None:
    x = torch.ones(2, requires_grad=True)
    plain = (x + 1).sum()
    plain.backward()
    plain.backward()  # nothing was saved: no error
    squared = (x * x).sum()
    squared.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        squared.backward()


def test_detach_shares_memory_and_is_a_leaf() -> None:
    x = torch.ones(3, requires_grad=True) * 2
    detached = x.detach()
    assert detached.data_ptr() == x.data_ptr() and detached.is_leaf
    assert x.detach().requires_grad_().is_leaf


def test_detach_in_place_works_on_a_non_leaf_but_requires_grad_false_is_refused() -> None:
    w = torch.ones(2, requires_grad=True)
    (w * 2).detach_()
    with pytest.raises(RuntimeError, match="leaf variables"):
        (w * 2).requires_grad_(False)


def test_numpy_refuses_grad_only_while_grad_mode_is_on() -> None:
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w.numpy()
    with torch.no_grad():
        assert w.numpy().shape == (2,)
    assert w.numpy(force=True).shape == (2,)


def test_tensor_to_its_own_device_returns_itself() -> None:
    x = torch.zeros(3)
    assert x.to("cpu") is x
    assert x.to(torch.float64) is not x and x.dtype == torch.float32


def test_torch_tensor_follows_the_default_dtype() -> None:
    import numpy as np

    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        assert torch.Tensor(np.zeros(2)).dtype == torch.float64
        assert torch.FloatTensor(np.zeros(2)).dtype == torch.float32
    finally:
        torch.set_default_dtype(previous)


def test_batch_norm_fails_only_with_one_value_per_channel() -> None:
    norm = nn.BatchNorm2d(3)
    assert norm(torch.rand(1, 3, 4, 4)).shape == (1, 3, 4, 4)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        norm(torch.rand(1, 3, 1, 1))
    norm.eval()
    assert norm(torch.rand(1, 3, 1, 1)).shape == (1, 3, 1, 1)


def test_fromarray_on_channels_first_raises_for_most_widths() -> None:
    import numpy as np
    from PIL import Image

    with pytest.raises(TypeError, match="Cannot handle this data type"):
        Image.fromarray(np.zeros((3, 8, 5), np.uint8))
    assert Image.fromarray(np.zeros((3, 8, 3), np.uint8)).size == (8, 3)


def test_cheat_sheet_errata_are_errors() -> None:
    import torchvision.transforms as T  # noqa: N812

    assert not hasattr(nn.Module, "gpu")
    assert not hasattr(T, "Scale") and hasattr(T, "Resize")
    with pytest.raises(TypeError, match="param"):
        torch.optim.SGD(param=[torch.ones(1, requires_grad=True)], lr=0.1)


def test_to_pil_image_does_not_undo_normalize() -> None:
    import torchvision.transforms as T  # noqa: N812
    from PIL import Image

    colour = (128, 64, 200)
    image = Image.new("RGB", (4, 4), colour)
    normalized = T.Compose([T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])(image)
    assert T.ToPILImage()(normalized).getpixel((0, 0)) != colour
    assert T.ToPILImage()(normalized * 0.5 + 0.5).getpixel((0, 0)) == colour
