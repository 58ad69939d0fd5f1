"""The package's import contract: domain packages never import the CLI, and nothing is circular.

Read from the source with `ast` (every import, at module level or inside a function, except
those under `if TYPE_CHECKING:`), so a cycle hidden in a function-level import counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "grader"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(tree: ast.AST) -> list[str]:
    """Every `grader...` name imported, outside `if TYPE_CHECKING:` blocks."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from grader import catalog` needs grader.catalog (an attribute resolves to its
            # module later), not everything the package's own __init__ might import lazily
            found.extend(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [name for name in found if name == "grader" or name.startswith("grader.")]


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            while imported not in modules and "." in imported:  # an attribute: its module
                imported = imported.rpartition(".")[0]
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                strong(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            strong(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_function_level_imports_and_skips_type_checking_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from grader import catalog\n"
        "def f():\n    from grader.engine import run\n"
    )
    assert runtime_imports(tree) == ["grader.engine.run"]


def test_the_grader_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the whole package was read
    assert cycles(graph) == []


def test_only_the_cli_and_the_entry_point_import_the_cli() -> None:
    graph = import_graph()
    outside = {
        name: sorted(t for t in targets if t == "grader.cli" or t.startswith("grader.cli."))
        for name, targets in graph.items()
        if not name.startswith("grader.cli") and name != "grader.__main__"
    }
    assert {name: found for name, found in outside.items() if found} == {}


def test_checks_never_import_probes() -> None:
    """Checks run in the trusted process; probes run in the worker, next to learner code.

    What both sides need (recipe builders and tables) lives in `grader.recipes`.
    """
    graph = import_graph()
    assert any(name.startswith("grader.checks.") for name in graph)
    found = {
        name: sorted(t for t in targets if t.startswith("grader.probes."))
        for name, targets in graph.items()
        if name.startswith("grader.checks.")
    }
    assert {name: probes for name, probes in found.items() if probes} == {}
