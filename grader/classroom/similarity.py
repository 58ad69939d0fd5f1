"""Submissions that are the same code under new names, comments and formatting, per exercise.

Each student's exercise file is parsed (never run) and reduced to a fingerprint of its syntax
tree: docstrings dropped, string constants blanked, every name the student chose renamed in order of first use (names of
Python, torch and other modules' attributes are kept, since they carry the meaning), formatting
and comments gone with the source text. Students with the same fingerprint form a cluster. Code
that is too short to say anything, or that is the stub itself, is never flagged.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader import nofollow

if TYPE_CHECKING:
    from grader.catalog import Exercise
    from grader.classroom.model import ClassResult

MIN_NODES = 40  # smaller trees (a one-line body) match by chance
MAX_BYTES = 256 * 1024
SHOWN_CHARS = 4000
_KEPT = set(dir(builtins)) | {"self", "cls", "torch", "nn", "F", "np", "numpy"}


class _Canonical(ast.NodeTransformer):
    """Renames the student's own names to v0, v1, ... in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _KEPT:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802 - ast's visitor names
        node.id = self._name(node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._name(node.arg)
        node.annotation = None
        return node

    def _body(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module
    ) -> ast.AST:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802
        node.name = self._name(node.name)
        node.returns = None
        return self._body(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:  # noqa: N802
        node.name = self._name(node.name)
        node.returns = None
        return self._body(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:  # noqa: N802
        node.name = self._name(node.name)
        return self._body(node)

    def visit_Module(self, node: ast.Module) -> ast.AST:  # noqa: N802
        return self._body(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: N802
        if isinstance(node.value, str):  # reworded messages are the same code
            node.value = ""
        return node


def fingerprint(source: str) -> tuple[str, int] | None:
    """(hash of the normalised tree, its size in nodes), or None when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    tree = _Canonical().visit(tree)
    size = sum(1 for _ in ast.walk(tree))
    dumped = ast.dump(tree, annotate_fields=False, include_attributes=False)
    return hashlib.sha256(dumped.encode()).hexdigest(), size


def _stub_print(exercise: Exercise) -> str | None:
    """The fingerprint of the exercise's untouched stub (handing it in is not copying)."""
    from grader.reset import stub_path

    try:
        found = fingerprint(stub_path(exercise).read_text(encoding="utf-8"))
    except OSError:
        return None
    return found[0] if found else None


@dataclass(frozen=True)
class Cluster:
    """Students whose file for one exercise is the same code; one member's code to show."""

    exercise: str
    students: tuple[str, ...]
    code: str


def clusters(result: ClassResult) -> list[Cluster]:
    """Per exercise, the groups of two or more students with the same fingerprint."""
    found: list[Cluster] = []
    for exercise in result.options.exercises:
        stub = _stub_print(exercise)
        groups: dict[str, list[tuple[str, str]]] = {}
        for student in result.students:
            if student.folder is None or student.problem:
                continue
            try:
                raw = nofollow.read_bytes(student.folder / exercise.file, MAX_BYTES)
            except OSError:
                continue
            text = raw.decode("utf-8", "replace")
            printed = fingerprint(text)
            if printed is None or printed[1] < MIN_NODES or printed[0] == stub:
                continue
            groups.setdefault(printed[0], []).append((student.id, text))
        for members in groups.values():
            if len(members) > 1:
                names = tuple(sorted(m[0] for m in members))
                found.append(Cluster(exercise.id, names, members[0][1][:SHOWN_CHARS]))
    return found
