"""Defers `import torch._dynamo` (over a second on 2 cores) until something needs more than eager.

Eager PyTorch imports torch._dynamo for two calls only, and both do nothing outside
`torch.compile`: an optimizer's `step()` calls `torch._dynamo.graph_break()` (an empty function)
and functions wrapped by `torch._disable_dynamo` ask `torch._dynamo.disable(fn)` for a version of
`fn` that compilation skips. Before torch._dynamo is imported nothing can be compiling, so
`install()` puts a stand-in module in its place that answers those two calls itself and imports
the real torch._dynamo the moment anything else is asked of it (`torch.compile`, a submodule,
any other attribute). From then on the real module answers everything, including the functions
the stand-in handed out earlier. `tests/test_deferred_dynamo.py` pins this against torch.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAME = "torch._dynamo"
# torchvision imports one function of it when it is imported (`torchvision.ops.roi_align`):
# `is_compile_supported`, called only by roi_align. The real module imports all of torch._dynamo
# and triton (about 1.1 s of `import torchvision`'s 1.3 s, and 70 MiB of triton's library).
UTILS = NAME + ".utils"
_lock = threading.RLock()


class _StandIn(types.ModuleType):
    """Placeholder for torch._dynamo: any name it does not define imports the real module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(load(), name)


class _UtilsStandIn(types.ModuleType):
    """Placeholder for torch._dynamo.utils: any name it does not define imports the real one."""

    def __getattr__(self, name: str) -> Any:
        if name == "__path__":  # asked by every `from ... import`: a module, not a package
            raise AttributeError(name)
        load()
        return getattr(importlib.import_module(UTILS), name)


def _loaded() -> types.ModuleType | None:
    module = sys.modules.get(NAME)
    return None if module is None or isinstance(module, _StandIn) else module


def load() -> types.ModuleType:
    """Import the real torch._dynamo in place of the stand-ins (once) and return it."""
    with _lock:
        real = _loaded()
        if real is not None:
            return real
        stand_ins = {name: sys.modules.pop(name, None) for name in (NAME, UTILS)}
        try:
            return importlib.import_module(NAME)
        except BaseException:
            for name, stand_in in stand_ins.items():
                if stand_in is not None:
                    sys.modules[name] = stand_in
            raise


def is_compile_supported(device_type: Any) -> Any:
    """The real `torch._dynamo.utils.is_compile_supported`, imported when first called."""
    load()
    return importlib.import_module(UTILS).is_compile_supported(device_type)


def graph_break(msg: str = "") -> None:
    """Nothing to break: torch._dynamo is not imported, so no graph is being traced."""
    real = _loaded()
    if real is not None:
        real.graph_break(msg)


def disable(fn: Callable | None = None, recursive: bool = True, **options: Any) -> Callable:
    """`fn` itself while torch._dynamo is unimported; the real `disable(fn)` once it is."""
    if fn is None:
        return load().disable(fn, recursive, **options)
    real_disabled: Callable | None = None

    def run(*args: Any, **kwargs: Any) -> Any:
        nonlocal real_disabled
        if real_disabled is None:
            real = _loaded()
            if real is None:
                return fn(*args, **kwargs)
            real_disabled = real.disable(fn, recursive, **options)
        return real_disabled(*args, **kwargs)

    return run


def install() -> bool:
    """Put the stand-in in place unless torch._dynamo is already imported; True if it is in place."""
    import torch

    with _lock:
        if NAME in sys.modules:
            return isinstance(sys.modules[NAME], _StandIn)
        stand_in = _StandIn(NAME, __doc__)
        # Tools that scan sys.modules (hypothesis does) read __file__: answer it without loading.
        stand_in.__file__ = str(Path(torch.__file__).parent / "_dynamo" / "__init__.py")
        stand_in.graph_break = graph_break  # type: ignore[attr-defined]
        stand_in.disable = disable  # type: ignore[attr-defined]
        sys.modules[NAME] = stand_in
        torch._dynamo = stand_in
        utils = _UtilsStandIn(UTILS, _UtilsStandIn.__doc__)
        utils.__file__ = str(Path(stand_in.__file__).with_name("utils.py"))
        utils.is_compile_supported = is_compile_supported  # type: ignore[attr-defined]
        sys.modules[UTILS] = utils
        return True
