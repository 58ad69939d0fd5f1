"""`grader.classroom` has no import cycle, counting imports inside functions and type-only ones,
and never imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grader" / "classroom"
NAME = "grader.classroom"


def imported(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # `from grader.classroom import layout` imports the module grader.classroom.layout
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports."""
    modules = {f"{NAME}.{p.stem}": p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: imported(path) & set(modules) - {name} for name, path in modules.items()}


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of modules, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(edges):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert cycle(edges) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_and_type_checking_blocks_are_counted(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from grader.classroom.model import ClassResult\n"
        "def f():\n    from grader.classroom import report\n"
    )
    assert {"grader.classroom.model", "grader.classroom.report"} <= imported(source)


def test_the_classroom_package_has_no_import_cycle() -> None:
    edges = graph()
    assert len(edges) >= 10 and f"{NAME}.grading" in edges
    assert cycle(edges) == []


def test_the_model_imports_no_other_classroom_module() -> None:
    assert graph()[f"{NAME}.model"] == set()


def test_no_classroom_module_imports_the_cli() -> None:
    for path in PACKAGE.glob("*.py"):
        cli = {m for m in imported(path) if m == "grader.cli" or m.startswith("grader.cli.")}
        assert not cli, f"{path.name} imports {sorted(cli)}"
