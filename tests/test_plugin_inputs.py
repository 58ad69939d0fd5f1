"""The inputs a check tries come from its strategies and the seed, nothing else.

Hypothesis mixes literals found in "local" source files (anything outside site-packages) into
generated data. In an editable install those are the grader's own modules: which of them were
imported would change the inputs, and parsing them cost every `grade exercise3` a quarter of a
second. The grader's plugin turns that off for its session and restores it afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis.internal.conjecture import providers

from grader import catalog
from grader.engine import plugin
from grader.engine.run import RunOptions, grade

ROOT = Path(__file__).resolve().parent.parent


def test_grading_parses_no_local_source_for_constants(
    workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = providers.constants_from_module

    def spy(module, *args, **kwargs):  # type: ignore[no-untyped-def]
        parsed.append(getattr(module, "__name__", "?"))
        return real(module, *args, **kwargs)

    monkeypatch.setattr(providers, "constants_from_module", spy)
    monkeypatch.setattr(providers, "_sys_modules_len", None)  # as if nothing had been scanned
    monkeypatch.setattr(providers, "_seen_modules", set())
    folder = workspace("exercise01_squeeze.py", ROOT / "solutions" / "exercise01_squeeze.py")
    run = grade(RunOptions(workspace=folder, exercises=(catalog.find("exercise1"),), device="cpu"))
    assert run.exercises[0].status == "passed", run.exercises[0]
    assert parsed == [], f"hypothesis parsed these modules for constants: {parsed[:10]}"


def test_the_session_restores_hypothesis_afterwards() -> None:
    before = providers._get_local_constants
    restore = plugin._no_local_constants()
    try:
        assert len(providers._get_local_constants()) == 0
    finally:
        plugin._no_local_constants(restore)
    assert providers._get_local_constants is before
