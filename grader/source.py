"""What the trusted side learns from a learner file by parsing it, never by running it."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass
class SourceFacts:
    """The outcome of reading one learner file."""

    exists: bool
    syntax_error: str = ""
    syntax_line: int | None = None
    defined: set[str] = field(default_factory=set)
    stubs: set[str] = field(default_factory=set)
    tree: ast.Module | None = None

    def not_started(self, api: tuple[str, ...]) -> bool:
        """Whether every API name is still the untouched `raise NotImplementedError` stub."""
        return not self.exists or all(name in self.stubs for name in api)


def _is_stub_function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = list(node.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc
    target = exc.func if isinstance(exc, ast.Call) else exc
    return isinstance(target, ast.Name) and target.id == "NotImplementedError"


def _is_stub(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _is_stub_function(node)
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return bool(methods) and all(_is_stub_function(m) for m in methods)
    return False


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    return []


def read(path: Path) -> SourceFacts:
    """Parse `path`: does it exist, does it compile, which names are defined, which are stubs."""
    path = Path(path)
    if not path.is_file():
        return SourceFacts(exists=False)
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        return SourceFacts(
            exists=True, syntax_error=f"the file is larger than {MAX_SOURCE_BYTES} bytes"
        )
    try:
        tree = ast.parse(data, filename=path.name)
    except SyntaxError as exc:
        message = f"{exc.msg} ({path.name}, line {exc.lineno})"
        return SourceFacts(exists=True, syntax_error=message, syntax_line=exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:
        return SourceFacts(
            exists=True, syntax_error=f"cannot be parsed: {type(exc).__name__}: {exc}"
        )
    facts = SourceFacts(exists=True, tree=tree)
    for node in tree.body:
        names = _names(node)
        facts.defined.update(names)
        if _is_stub(node):
            facts.stubs.update(names)
        else:
            facts.stubs.difference_update(names)
    return facts


def calls_to(tree: ast.Module, names: set[str]) -> list[tuple[str, int]]:
    """Every call in `tree` to a function or method whose dotted name ends in one of `names`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts = []
            target = node.func
            while isinstance(target, ast.Attribute):
                parts.append(target.attr)
                target = target.value
            if isinstance(target, ast.Name):
                parts.append(target.id)
            dotted = ".".join(reversed(parts))
            if any(dotted == n or dotted.endswith("." + n) for n in names):
                found.append((dotted, node.lineno))
    return found
