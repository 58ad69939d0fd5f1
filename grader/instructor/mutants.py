"""Mutants of a reference solution: one small, realistic fault each, with a stable id.

`grade verify --mutants` grades every mutant like a submission; a mutant that still passes is
either equivalent to the reference or a hole in the checks. The operators are the faults
people write in PyTorch code (a forgotten `zero_grad()`, `.detach()` or `.cpu()`, `view` where
`permute` was needed, an in-place call whose result is dropped, the wrong `dim=`) and the
classic one-edit faults (a deleted call, two statements swapped, a keyword dropped, an integer
off by one, a flipped comparison or boolean, a swapped arithmetic operator).

Mutants are made with the standard library's `ast` (no extra dependency) and written back
with `ast.unparse`, so comments and layout are not kept: the diff shown compares the unparsed
reference with the unparsed mutant, and `line` points into the original file.
An id is `exercise:operator:hash`, where the hash covers the enclosing function and the
changed lines only, so it survives edits elsewhere in the reference (equivalents are listed
by id in data, see `grader/instructor/mutation.py`).
"""

from __future__ import annotations

import ast
import copy
import difflib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

REMOVABLE_CALLS = ("zero_grad", "detach", "cpu", "eval", "train")
ORDER_CALLS = ("backward", "step", "zero_grad")
TORCH_KEYWORDS = ("drop_last", "shuffle", "batch_first", "bias", "dtype", "device")
SHAPE_SWAPS = {"reshape": ("view",), "view": ("reshape",)}
# Methods with both an in-place (`add_`) and an out-of-place (`add`) form on torch.Tensor.
TWIN_METHODS = frozenset(
    "abs add addmm clamp clamp_min clamp_max copy div exp fill floor ceil log masked_fill mul "
    "neg pow relu round sigmoid sqrt squeeze sub t tanh transpose unsqueeze zero".split()
)
COMPARISON_FLIPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.MatMult: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}

# Moving a definition or an import is never a fault a learner makes (and is almost always
# equivalent): statements of these kinds are not swapped.
DECLARATIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)

# An edit: given the copy of the targeted node, what takes its place (a node, a list of
# statements, or SWAP_NEXT for "this statement and the next one trade places").
# The node is typed Any: each operator knows the kind of node it was found at, and a Callable
# type cannot say "the same kind as the node it was made for".
Edit = Callable[[Any], object]
SWAP_NEXT = object()


@dataclass(frozen=True)
class Mutant:
    """One faulty variant of a reference file."""

    id: str
    exercise: str
    operator: str
    line: int
    description: str
    source: str
    diff: str


def _method(node: ast.AST) -> str | None:
    """`name` for a call `something.name(...)`, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _receiver(node: ast.Call) -> ast.expr:
    assert isinstance(node.func, ast.Attribute)
    return node.func.value


def _constant(value: int) -> Edit:
    return lambda n: ast.Constant(value)


def _renamed(name: str) -> Edit:
    def edit(node: ast.AST) -> ast.AST:
        node.func.attr = name  # type: ignore[attr-defined]
        return node

    return edit


def _torch_operators(node: ast.AST) -> Iterator[tuple[str, str, Edit]]:
    """The PyTorch-aware faults at `node`: (operator, description, edit)."""
    method = _method(node)
    if method in REMOVABLE_CALLS and isinstance(node, ast.Call):
        yield "remove_call", f"drop .{method}()", _receiver
    if method == "permute" and isinstance(node, ast.Call) and node.args:

        def as_reshape(n: ast.Call) -> ast.AST:
            # The classic: reshape to the permuted sizes instead of moving the axes.
            receiver = ast.unparse(_receiver(n))
            sizes = ", ".join(f"{receiver}.shape[{ast.unparse(a)}]" for a in n.args)
            return ast.parse(f"{receiver}.reshape({sizes})", mode="eval").body

        yield "permute_to_reshape", "reshape to the permuted sizes instead of permute", as_reshape
    for other in SHAPE_SWAPS.get(method or "", ()):
        yield "reshape_view", f".{method}() -> .{other}()", _renamed(other)
    if method and method.endswith("_") and method[:-1] in TWIN_METHODS:
        yield "in_place", f".{method}() -> .{method[:-1]}()", _renamed(method[:-1])
    elif method in TWIN_METHODS:
        yield "in_place", f".{method}() -> .{method}_()", _renamed(f"{method}_")
    if isinstance(node, ast.Call):
        for index, keyword in enumerate(node.keywords):
            yield from _keyword_operators(index, keyword)
    if isinstance(node, ast.With) and any(
        _method(item.context_expr) == "no_grad" for item in node.items
    ):
        yield "remove_no_grad", "drop `with torch.no_grad():`", lambda n: n.body
    for field in ("body", "orelse", "finalbody"):
        body = getattr(node, field, None)
        if isinstance(body, list):
            yield from _order_operators(field, body)


def _keyword_operators(index: int, keyword: ast.keyword) -> Iterator[tuple[str, str, Edit]]:
    def drop(n: ast.AST) -> ast.AST:
        del n.keywords[index]  # type: ignore[attr-defined]
        return n

    def set_value(value: ast.expr) -> Edit:
        def edit(n: ast.AST) -> ast.AST:
            n.keywords[index].value = value  # type: ignore[attr-defined]
            return n

        return edit

    name = keyword.arg
    if name is None:
        return
    operator = "drop_torch_keyword" if name in TORCH_KEYWORDS else "drop_keyword"
    yield operator, f"drop {name}=", drop
    value = keyword.value
    if name == "dim" and isinstance(value, ast.Constant) and isinstance(value.value, int):
        for other in sorted({value.value + 1, -1 if value.value >= 0 else 0} - {value.value}):
            yield "change_dim", f"dim={value.value} -> dim={other}", set_value(ast.Constant(other))
    if name == "dim" and isinstance(value, ast.UnaryOp):  # dim=-1
        yield "change_dim", f"dim={ast.unparse(value)} -> dim=0", set_value(ast.Constant(0))
    if name == "keepdim" and isinstance(value, ast.Constant) and isinstance(value.value, bool):
        flipped = not value.value
        yield "change_dim", f"keepdim={value.value} -> {flipped}", set_value(ast.Constant(flipped))


def _order_operators(field: str, body: list[ast.stmt]) -> Iterator[tuple[str, str, Edit]]:
    """Swap two of backward()/step()/zero_grad() in one block (adjacent or not)."""
    calls = [
        (i, _method(s.value))
        for i, s in enumerate(body)
        if isinstance(s, ast.Expr) and _method(s.value) in ORDER_CALLS
    ]
    for a, (i, first) in enumerate(calls):
        for j, second in calls[a + 1 :]:
            if first == second:
                continue

            def swap(n: ast.AST, i: int = i, j: int = j) -> ast.AST:
                stmts = getattr(n, field)
                stmts[i], stmts[j] = stmts[j], stmts[i]
                return n

            yield "swap_order", f"{second}() before {first}()", swap


def _classic_operators(node: ast.AST, chained: bool) -> Iterator[tuple[str, str, Edit]]:
    """The classic one-edit faults at `node`."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield "delete_call", f"delete `{ast.unparse(node)[:60]}`", lambda n: ast.Pass()
    if isinstance(node, ast.stmt) and not isinstance(node, DECLARATIONS):
        yield "swap_statements", "swap with the next statement", lambda n: SWAP_NEXT
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and chained:
        yield "drop_chain_call", f"drop .{node.func.attr}() from the chain", _receiver
    if isinstance(node, ast.Constant) and type(node.value) is int:
        for other in (node.value + 1, node.value - 1):
            yield "nudge_integer", f"{node.value} -> {other}", _constant(other)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        flipped = not node.value
        yield "flip_boolean", f"{node.value} -> {flipped}", lambda n: ast.Constant(flipped)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "flip_boolean", "drop `not`", lambda n: n.operand
    if isinstance(node, ast.BoolOp):
        other_op = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield (
            "flip_boolean",
            f"{type(node.op).__name__.lower()} -> {other_op.__name__.lower()}",
            (lambda n: ast.BoolOp(op=other_op(), values=n.values)),
        )
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            flipped_op = COMPARISON_FLIPS.get(type(op))
            if flipped_op is not None:

                def flip(n: ast.AST, index: int = index, flipped: type = flipped_op) -> ast.AST:
                    n.ops[index] = flipped()  # type: ignore[attr-defined]
                    return n

                yield "flip_comparison", f"{type(op).__name__} -> {flipped_op.__name__}", flip
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in ARITHMETIC_SWAPS:
        swapped = ARITHMETIC_SWAPS[type(node.op)]

        def swap(n: ast.AST, swapped: type = swapped) -> ast.AST:
            n.op = swapped()  # type: ignore[attr-defined]
            return n

        yield "swap_arithmetic", f"{type(node.op).__name__} -> {swapped.__name__}", swap


def _skipped(tree: ast.Module) -> set[int]:
    """Ids of nodes no fault is seeded in: docstrings, imports, annotations."""
    skip: set[int] = set()

    def cover(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                cover(body[0])
        if isinstance(node, ast.Import | ast.ImportFrom):
            cover(node)
        if isinstance(node, ast.arg | ast.AnnAssign):
            cover(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            cover(node.returns)
    return skip


def _chained(tree: ast.Module) -> set[int]:
    """Ids of method calls that are one link of a chain of at least two calls."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
                found.update((id(node), id(inner)))
    return found


def _scopes(tree: ast.Module) -> dict[int, str]:
    """The enclosing function or class path of every node (`Affine.forward`), '' at top level."""
    scope: dict[int, str] = {}

    def visit(node: ast.AST, path: str) -> None:
        scope[id(node)] = path
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            path = f"{path}.{node.name}" if path else node.name
        for child in ast.iter_child_nodes(node):
            visit(child, path)

    visit(tree, "")
    return scope


def _apply(tree: ast.Module, index: int, edit: Edit) -> ast.Module | None:
    """A copy of `tree` with `edit` applied to its `index`-th node (ast.walk order)."""
    mutant = copy.deepcopy(tree)
    nodes = list(ast.walk(mutant))
    target = nodes[index]
    for parent in nodes:
        for field, value in ast.iter_fields(parent):
            if isinstance(value, list) and any(v is target for v in value):
                at = next(i for i, v in enumerate(value) if v is target)
                new = edit(target)
                if new is SWAP_NEXT:
                    if at + 1 >= len(value) or isinstance(value[at + 1], DECLARATIONS):
                        return None
                    value[at], value[at + 1] = value[at + 1], value[at]
                elif isinstance(new, list):
                    value[at : at + 1] = new
                else:
                    value[at] = new
                return ast.fix_missing_locations(mutant)
            if value is target:
                new = edit(target)
                if new is SWAP_NEXT or isinstance(new, list):
                    return None
                setattr(parent, field, new)
                return ast.fix_missing_locations(mutant)
    return None


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "reference", "mutant", n=1, lineterm=""
    )
    return "\n".join(list(lines)[2:])


def generate(exercise_id: str, text: str) -> list[Mutant]:
    """Every distinct mutant of the reference `text`, in a stable order, with stable ids."""
    tree = ast.parse(text)
    original = ast.unparse(tree)
    skip, chained, scopes = _skipped(tree), _chained(tree), _scopes(tree)
    seen = {original}
    counts: dict[str, int] = {}
    mutants: list[Mutant] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        operators = [*_torch_operators(node), *_classic_operators(node, id(node) in chained)]
        for operator, description, edit in operators:
            changed = _apply(tree, index, edit)
            if changed is None:
                continue
            try:
                source = ast.unparse(changed)
                compile(source, "<mutant>", "exec")
            except (SyntaxError, ValueError, TypeError, AttributeError):
                continue
            if source in seen:
                continue
            seen.add(source)
            diff = _diff(original, source)
            edits = [line for line in diff.splitlines() if line[:1] in "+-"]
            key = "\n".join([scopes.get(id(node), ""), *(e.strip() for e in edits)])
            digest = hashlib.sha256(f"{operator}\n{key}".encode()).hexdigest()[:10]
            mutant_id = f"{exercise_id}:{operator}:{digest}"
            counts[mutant_id] = counts.get(mutant_id, 0) + 1
            if counts[mutant_id] > 1:
                mutant_id += f"-{counts[mutant_id]}"
            where = scopes.get(id(node), "") or "module"
            mutants.append(
                Mutant(
                    id=mutant_id,
                    exercise=exercise_id,
                    operator=operator,
                    line=getattr(node, "lineno", 0),
                    description=f"{where}: {description}",
                    source=source + "\n",
                    diff=diff,
                )
            )
    return mutants


def sample(mutants: list[Mutant], size: int) -> list[Mutant]:
    """A deterministic sample of `size` mutants spread over the exercises (for CI).

    Picks by the hash in the id, round-robin over exercises, so the same code gives the same
    sample and editing one reference changes only that exercise's picks.
    """
    by_exercise: dict[str, list[Mutant]] = {}
    for mutant in sorted(mutants, key=lambda m: m.id.rsplit(":", 1)[-1]):
        by_exercise.setdefault(mutant.exercise, []).append(mutant)
    picked: list[Mutant] = []
    queues = [by_exercise[key] for key in sorted(by_exercise)]
    while len(picked) < size and any(queues):
        for queue in queues:
            if queue and len(picked) < size:
                picked.append(queue.pop(0))
    order = {m.id: i for i, m in enumerate(mutants)}
    return sorted(picked, key=lambda m: order[m.id])
