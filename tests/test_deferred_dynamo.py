"""The torch._dynamo stand-in changes no result and gives way to the real module when needed.

Each test runs in a fresh interpreter: the stand-in only works before torch._dynamo is imported,
and this test process may have imported it already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

TRAIN = """
import json, sys, torch
torch.manual_seed(0)
results = {}
for name, make in [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd_foreach", lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.01, foreach=True)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.01)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.01, amsgrad=True)),
    ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.01)),
]:
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = make(model.parameters())
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(5, 3)).pow(2).mean().backward()
        optimizer.step()
    results[name] = [p.detach().double().sum().item() for p in model.parameters()]
results["real_dynamo_loaded"] = type(sys.modules.get("torch._dynamo")).__name__ == "module"
print(json.dumps(results))
"""


def run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_optimizer_steps_are_identical_without_importing_dynamo() -> None:
    plain = json.loads(run(TRAIN))
    deferred = json.loads(
        run("from grader import deferred_dynamo\nassert deferred_dynamo.install()\n" + TRAIN)
    )
    assert plain.pop("real_dynamo_loaded") is True  # torch still imports it: the stand-in matters
    assert deferred.pop("real_dynamo_loaded") is False
    assert deferred == plain


@pytest.mark.slow
def test_torch_compile_loads_the_real_module() -> None:
    out = run(
        """
        import sys, torch
        from grader import deferred_dynamo
        deferred_dynamo.install()
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(1, 2)).sum().backward()
        optimizer.step()  # handed out the stand-in's disable(); must keep working after loading
        double = torch.compile(lambda x: torch.sin(x) * 2, backend="eager")
        assert torch.allclose(double(torch.ones(3)), torch.sin(torch.ones(3)) * 2)
        real = sys.modules["torch._dynamo"]
        assert type(real).__name__ == "module" and torch._dynamo is real
        optimizer.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        optimizer.step()
        print("ok")
        """
    )
    assert out.strip() == "ok"


@pytest.mark.slow
def test_any_other_name_or_submodule_loads_the_real_module() -> None:
    out = run(
        """
        import sys, torch
        from grader import deferred_dynamo
        deferred_dynamo.install()
        assert isinstance(torch._dynamo.config.cache_size_limit, int)
        assert type(sys.modules["torch._dynamo"]).__name__ == "module"
        print("attribute ok")
        """
    )
    assert out.strip() == "attribute ok"
    out = run(
        """
        import sys, torch
        from grader import deferred_dynamo
        deferred_dynamo.install()
        import torch._dynamo.config
        assert type(sys.modules["torch._dynamo"]).__name__ == "module"
        print("submodule ok")
        """
    )
    assert out.strip() == "submodule ok"


@pytest.mark.slow
def test_module_scans_read_file_without_loading() -> None:
    out = run(
        """
        import os, sys, torch
        from grader import deferred_dynamo
        deferred_dynamo.install()
        files = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
        assert os.path.exists(torch._dynamo.__file__)
        print(type(sys.modules["torch._dynamo"]).__name__)
        """
    )
    assert out.strip() == "_StandIn"


@pytest.mark.slow
def test_install_after_the_real_import_changes_nothing() -> None:
    out = run(
        """
        import sys, torch, torch._dynamo
        from grader import deferred_dynamo
        real = sys.modules["torch._dynamo"]
        assert deferred_dynamo.install() is False
        assert sys.modules["torch._dynamo"] is real and torch._dynamo is real
        print("ok")
        """
    )
    assert out.strip() == "ok"


VISION = """
import json, sys, torch, torchvision
from torchvision import transforms
from torchvision.ops import roi_align
torch.manual_seed(0)
image = torch.rand(3, 40, 30)
pipeline = transforms.Compose(
    [transforms.Resize(24), transforms.CenterCrop(20), transforms.Normalize([0.5] * 3, [0.2] * 3)]
)
results = {"transformed": pipeline(image).sum().item()}
results["dynamo_before_ops"] = type(sys.modules.get("torch._dynamo")).__name__
results["triton_before_ops"] = "triton" in sys.modules
boxes = torch.tensor([[0, 2.0, 2.0, 20.0, 18.0]])
results["roi_align"] = roi_align(image[None], boxes, output_size=(4, 4)).sum().item()
# What roi_align asks torch._dynamo.utils before choosing a kernel for CUDA inputs:
results["compile_supported"] = sys.modules["torchvision.ops.roi_align"].is_compile_supported("cpu")
results["dynamo_after_asking"] = type(sys.modules.get("torch._dynamo")).__name__
print(json.dumps(results))
"""


@pytest.mark.slow
def test_torchvision_imports_without_dynamo_or_triton_and_computes_the_same() -> None:
    plain = json.loads(run(VISION))
    deferred = json.loads(
        run("from grader import deferred_dynamo\nassert deferred_dynamo.install()\n" + VISION)
    )
    # Without the stand-in, importing torchvision imports torch._dynamo and triton itself.
    assert plain["dynamo_before_ops"] == "module" and plain["triton_before_ops"] is True
    assert deferred["dynamo_before_ops"] == "_StandIn" and deferred["triton_before_ops"] is False
    # Asked whether it may compile, the stand-in has the real torch._dynamo.utils answer.
    assert deferred["dynamo_after_asking"] == "module"
    for key in ("transformed", "roi_align", "compile_supported"):
        assert deferred[key] == plain[key], key


@pytest.mark.slow
def test_any_other_name_of_dynamo_utils_loads_the_real_module() -> None:
    out = run(
        """
        import sys, torch
        from grader import deferred_dynamo
        deferred_dynamo.install()
        from torch._dynamo.utils import counters
        utils = sys.modules["torch._dynamo.utils"]
        assert type(utils).__name__ == "module" and counters is utils.counters
        assert type(sys.modules["torch._dynamo"]).__name__ == "module"
        print("ok")
        """
    )
    assert out.strip() == "ok"
