"""The emulated GPU of the probes (grader/probes/common.py) acts like a real one where it teaches.

On a machine without CUDA, `emulating_cuda()` with `emulated_cuda_module` / `emulated_cuda`
must make the two classic device mistakes fail as on a GPU (a CPU input fed to a model on the
GPU, `.numpy()` on a GPU result), and code that reads its device from its data must work.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from grader.probes.common import (
    EmulatedCuda,
    emulated_cuda,
    emulated_cuda_module,
    emulating_cuda,
)

SAME_DEVICE = "Expected all tensors to be on the same device"


def model_on_gpu() -> nn.Module:
    torch.manual_seed(0)
    return emulated_cuda_module(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))


def test_an_emulated_module_keeps_its_parameters_as_parameters_on_cuda() -> None:
    model = model_on_gpu()
    params = list(model.parameters())
    assert len(params) == 4
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)
    assert {str(p.device) for p in params} == {"cuda:0"}


def test_a_factory_given_the_model_device_makes_a_gpu_tensor() -> None:
    device = next(model_on_gpu().parameters()).device
    array = np.zeros((2, 3))
    with emulating_cuda():
        made = [
            torch.as_tensor(array, dtype=torch.float32, device=device),
            torch.tensor(array, device="cuda"),
            torch.zeros(2, 3, device="cuda:0"),
            torch.from_numpy(array).to(device),
            torch.from_numpy(array).cuda(),
        ]
    assert all(type(t) is EmulatedCuda and str(t.device) == "cuda:0" for t in made)
    made[0].add_(1)
    assert (array == 0).all(), "a transfer to the GPU copies the array"


def test_a_cpu_input_to_a_gpu_model_raises_torchs_error() -> None:
    model = model_on_gpu()
    with emulating_cuda(), pytest.raises(RuntimeError, match=SAME_DEVICE):
        model(torch.zeros(2, 3))


def test_a_0_dim_cpu_tensor_mixes_with_gpu_tensors_as_on_a_real_gpu() -> None:
    with emulating_cuda():
        x = torch.ones(3, device="cuda")
        assert type(x * torch.tensor(2.0)) is EmulatedCuda
        assert type(x[torch.tensor([0, 2])]) is EmulatedCuda  # CPU indices are fine too


def test_gpu_scores_refuse_numpy_until_copied_to_the_cpu() -> None:
    model = model_on_gpu()
    with emulating_cuda(), torch.no_grad():
        classes = model(torch.zeros(2, 3, device="cuda")).argmax(dim=1)
        with pytest.raises(TypeError, match="can't convert cuda:0"):
            classes.numpy()
        assert type(classes.cpu()) is torch.Tensor
        assert classes.cpu().numpy().dtype == np.int64


def test_module_to_cuda_moves_a_plain_module_and_restores_the_global_flag() -> None:
    before = torch.__future__.get_overwrite_module_params_on_conversion()
    with emulating_cuda():
        layer = nn.Linear(3, 2).to("cuda")
        out = layer(torch.ones(1, 3, device="cuda"))
    assert isinstance(layer.weight, nn.Parameter) and str(layer.weight.device) == "cuda:0"
    assert type(out) is EmulatedCuda
    assert torch.__future__.get_overwrite_module_params_on_conversion() == before


def test_only_one_gpu_is_emulated() -> None:
    with emulating_cuda(), pytest.raises(RuntimeError, match="invalid device ordinal"):
        torch.zeros(1, device="cuda:1")


def test_outside_the_emulation_an_emulated_tensor_behaves_as_before() -> None:
    # Exercises 2, 5 and 15 use emulated_cuda without the mode: no device checks on mixing.
    t = emulated_cuda(torch.ones(3))
    assert type(t + torch.ones(3)) is EmulatedCuda
    with pytest.raises(TypeError):
        t.numpy()
    assert type(t.cpu()) is torch.Tensor
