"""What the trusted side learns from a learner file by parsing it, never by running it."""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from pathlib import Path

from grader import nofollow, notebook

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass
class SourceFacts:
    """The outcome of reading one learner file."""

    exists: bool
    syntax_error: str = ""
    syntax_line: int | None = None
    defined: set[str] = field(default_factory=set)
    stubs: set[str] = field(default_factory=set)
    unchanged: set[str] = field(default_factory=set)
    tree: ast.Module | None = None
    notes: list[str] = field(default_factory=list)  # e.g. notebook lines that are not Python
    unreadable: str = ""  # why the file is not read at all (a symlink, not a regular file)
    data: bytes = b""  # the program as read once: what the worker gets and reports quote

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


def _without_docstrings(node: ast.AST) -> str:
    """The code of a definition, docstrings, comments and positions left out.

    Comparing this form lets a learner's copy count as untouched even where its docstrings are
    in another language or its comments were edited.
    """
    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            inner.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def _definitions(path: Path | None) -> dict[str, str]:
    """Each top-level function or class of the pristine stub at `path`, without docstrings."""
    if path is None or not Path(path).is_file():
        return {}
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    return {
        node.name: _without_docstrings(node)
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def read(path: Path, pristine: Path | None = None) -> SourceFacts:
    """Parse `path`: does it exist, does it compile, which names are defined, which are stubs.

    A definition counts as a stub when its body is `raise NotImplementedError`, or when it is
    the same code as in `pristine` (the shipped stub): exercises whose stubs are working code
    with a bug to fix are not started until the learner changes that code.
    """
    path = Path(path)
    refused = nofollow.describe(path)
    if refused:
        return SourceFacts(exists=True, unreadable=refused)
    if not path.is_file():
        return SourceFacts(exists=False)
    notes: list[str] = []
    if notebook.is_notebook(path):  # its code cells, as the module the worker will import
        try:
            program = notebook.python_source(path)
        except notebook.NotebookError as exc:
            return SourceFacts(exists=True, syntax_error=f"not a readable notebook: {exc}")
        data, notes = program.text.encode("utf-8"), program.notes
    else:
        try:
            data = nofollow.read_bytes(path, MAX_SOURCE_BYTES + 1)
        except OSError as exc:
            return SourceFacts(exists=True, unreadable=f"{path.name} could not be read: {exc}")
    if len(data) > MAX_SOURCE_BYTES:
        return SourceFacts(
            exists=True, syntax_error=f"the file is larger than {MAX_SOURCE_BYTES} bytes"
        )
    try:
        tree = ast.parse(data, filename=path.name)
    except SyntaxError as exc:
        where = f"line {exc.lineno}"
        if notebook.is_notebook(path):
            where = notebook.locate(data.decode("utf-8"), exc.lineno)
        message = f"{exc.msg} ({path.name}, {where})"
        return SourceFacts(exists=True, syntax_error=message, syntax_line=exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:
        return SourceFacts(
            exists=True, syntax_error=f"cannot be parsed: {type(exc).__name__}: {exc}"
        )
    facts = SourceFacts(exists=True, tree=tree, notes=notes, data=data)
    untouched = _definitions(pristine)
    for node in tree.body:
        names = _names(node)
        facts.defined.update(names)
        name = getattr(node, "name", None)
        same = name in untouched and _without_docstrings(node) == untouched[name]
        if _is_stub(node) or same:
            facts.stubs.update(names)
        else:
            facts.stubs.difference_update(names)
        if same and not _is_stub(node):
            # Working code with a bug, untouched: said differently to the learner.
            facts.unchanged.update(names)
        else:
            facts.unchanged.difference_update(names)
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


def main_block_lines(tree: ast.Module) -> set[int]:
    """Lines of `if __name__ == "__main__":` blocks, where a learner may compare with torch."""
    lines: set[int] = set()
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Compare)
            and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__"
        ):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def uses_of(tree: ast.Module, names: set[str], module: str) -> list[tuple[str, int]]:
    """Every use, called or just referenced, of `names` from package `module` (e.g. torch).

    Uses inside `if __name__ == "__main__":` do not count: a learner may compare with the
    built-in there. Returns (the use as written, line) pairs in line order.
    """
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    aliases: dict[str, str] = {}
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == module:
            for alias in node.names:
                star = star or alias.name == "*"
                if alias.name in names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    # A name the learner defines (e.g. their own cross_entropy) shadows an imported one.
    bare = {name for name in aliases if name not in defined}
    if star:
        bare |= names - defined

    def spelled(name: str) -> str:
        original = aliases.get(name)
        return f"{name}` (that is `{original}`)" if original and original != name else name

    hits: set[tuple[str, int]] = set()
    for dotted, line in calls_to(tree, names | bare):
        last = dotted.rsplit(".", 1)[-1]
        if ("." in dotted and last in names) or dotted in bare:
            hits.add((spelled(dotted), line))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            hits.add((ast.unparse(node), node.lineno))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in bare:
            hits.add((spelled(node.id), node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in names
        ):
            hits.add((f"getattr(..., {node.args[1].value!r})", node.lineno))
    skip = main_block_lines(tree)
    return sorted((hit for hit in hits if hit[1] not in skip), key=lambda h: (h[1], h[0]))
