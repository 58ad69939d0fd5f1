"""Reading a learner's file without running it: syntax errors, stubs, calls and uses of names."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from grader import source

NAMES = {"cross_entropy", "log_softmax", "CrossEntropyLoss"}


def uses(code: str) -> list[tuple[str, int]]:
    return source.uses_of(ast.parse(textwrap.dedent(code)), NAMES, module="torch")


def test_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "exercise.py"
    path.write_text("def f(x):\n    return x.\n")
    facts = source.read(path)
    assert facts.exists and facts.syntax_error and "line 2" in facts.syntax_error


def test_untouched_stubs_are_not_started(tmp_path: Path) -> None:
    path = tmp_path / "exercise.py"
    path.write_text(
        'def f(x):\n    """Doc."""\n    raise NotImplementedError\n\n\ndef g(x):\n    return x\n'
    )
    facts = source.read(path)
    assert facts.stubs == {"f"}
    assert facts.not_started(["f"]) and not facts.not_started(["f", "g"])
    assert not source.read(tmp_path / "missing.py").exists


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("import torch.nn.functional as F\ny = F.cross_entropy(a, b)\n", [("F.cross_entropy", 2)]),
        (
            "from torch.nn.functional import log_softmax as ls\ny = ls(a)\n",
            [("ls` (that is `torch.nn.functional.log_softmax`)", 2)],
        ),
        ("import torch\nloss = torch.nn.CrossEntropyLoss\n", [("torch.nn.CrossEntropyLoss", 2)]),
        ("f = getattr(F, 'log_softmax')\n", [("getattr(..., 'log_softmax')", 1)]),
        ("def cross_entropy(a, b):\n    return a\ny = cross_entropy(1, 2)\n", []),
        (
            """
            def mine(a):
                return a
            if __name__ == "__main__":
                import torch.nn.functional as F
                print(F.cross_entropy(x, t))
            """,
            [],
        ),
    ],
    ids=["attribute_call", "aliased_import", "reference", "getattr", "own_function", "main"],
)
def test_uses_of_names_outside_the_main_block(code: str, found: list) -> None:
    assert uses(code) == found
