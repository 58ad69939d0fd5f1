"""A notebook read as the learner's Python file: its code cells, parsed strictly, definitions kept.

A workspace may hold `exercise03_train_step.ipynb` instead of the `.py`. The trusted side never
runs a notebook: it reads the JSON (bounded, every field type-checked), drops what is not Python
(magics, shell lines), and keeps what a module would define, in order, later definitions winning.
Top-level demo code (a cell that trains for a minute, prints, or calls `grader.check`) is left
out, so that importing the result in the worker defines the exercise's API and runs nothing else.
The same reading serves `grade check`, `grade class`, the Gradescope bundle and `%grade` in a
kernel, which is what makes a notebook and a `.py` with the same code get the same grade.

Nothing here imports nbformat: a stripped-down, strict reader is all the trusted side needs.
"""

from __future__ import annotations

import ast
import json
import re
import symtable
from dataclasses import dataclass, field
from pathlib import Path

SUFFIX = ".ipynb"
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024  # outputs (plots) make notebooks far larger than code
MAX_CELLS = 5000
NOTE_EXAMPLES = 3
_HEADER = re.compile(r"^# %% (?P<label>.{1,60}), line (?P<line>\d+)$")
_MAGIC = re.compile(r"^\s*(%|!)")
_MAGIC_ASSIGNMENT = re.compile(r"^\s*[\w.]+\s*=\s*(%|!)")
_HELP = re.compile(r"^\s*\??[\w.]+\?{1,2}\s*$")
_OWN = re.compile(r"^\s*%(load_ext|reload_ext)\s+grader\s*$|^\s*%grade(\s|$)")


class NotebookError(ValueError):
    """The file is not a notebook the grader can read (not JSON, not nbformat 4, bad fields).

    Cause: a damaged or hand-edited `.ipynb`, or another file renamed to `.ipynb`.
    Remedy: open it in Jupyter or Colab and save it again, or submit the `.py` instead.
    """


@dataclass(frozen=True)
class Cell:
    """One code cell: where it is (for messages) and its source."""

    label: str
    text: str


@dataclass
class Program:
    """The Python module made of a notebook, and what was left out of it that is worth saying."""

    text: str
    notes: list[str] = field(default_factory=list)


def learner_path(workspace: Path, file: str) -> Path:
    """The learner's file of an exercise: the `.py` when there is one, else the notebook.

    A missing exercise is reported under its `.py` name. When both exist the `.py` wins: it is
    what the learner (or an export from the notebook) last wrote as a file.
    """
    python = Path(workspace) / file
    if python.exists():
        return python
    notebook = python.with_suffix(SUFFIX)
    return notebook if notebook.is_file() else python


def is_notebook(path: Path) -> bool:
    """Whether `path` names a notebook (by its suffix; its content is judged when read)."""
    return Path(path).suffix == SUFFIX


def _source(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "".join(value)
    raise NotebookError(f"{where} has a 'source' that is neither text nor a list of lines")


def read_cells(data: bytes, name: str) -> list[Cell]:
    """The code cells of a notebook file's bytes, in document order; NotebookError if malformed."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(
            f"{name} is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MiB "
            "(clear its outputs and save it again)"
        )
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not UTF-8 text, so it is not a notebook") from None
    except (ValueError, RecursionError) as exc:
        raise NotebookError(f"{name} is not valid notebook JSON ({str(exc)[:200]})") from None
    if not isinstance(document, dict):
        raise NotebookError(f"{name} is JSON but not a notebook (no top-level object)")
    version = document.get("nbformat")
    if version != 4:
        raise NotebookError(
            f"{name} is in notebook format {version!r}; the grader reads format 4 "
            "(what Jupyter and Colab save): open it and save it again"
        )
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{name} has no list of cells")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{name} has more than {MAX_CELLS} cells")
    found = []
    for number, cell in enumerate(cells, start=1):
        where = f"{name}, cell {number}"
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise NotebookError(f"{where} is not a cell (no 'cell_type')")
        if cell["cell_type"] != "code":
            continue
        text = _source(cell.get("source", ""), where)
        found.append(Cell(_label(cell, number), text))
    return found


def _label(cell: dict, number: int) -> str:
    """'cell N', or the label a kernel gave it ('In[5]') when it wrote the notebook itself."""
    metadata = cell.get("metadata")
    given = metadata.get("grader_label") if isinstance(metadata, dict) else None
    if isinstance(given, str) and re.fullmatch(r"In\[\d{1,9}\]", given):
        return given
    return f"cell {number}"


def strip_ipython(cell: Cell) -> tuple[Cell, list[str]]:
    """The cell with IPython-only lines replaced by `pass`, and those lines (for a note).

    A cell that is Python already is left alone (so a line continuing `"%d"` formatting with
    `% x` stays). Otherwise line magics (`%time`), shell lines (`!pip install`), `x = !ls` and
    help (`obj?`) become `pass` at the same indentation, so every other line keeps its number
    and blocks stay valid; a cell magic (`%%bash`, `%%time`) makes the whole cell something
    other than Python: it is left out, its lines kept blank.
    """
    if _python(cell.text):
        return cell, []
    lines = cell.text.split("\n")
    if lines[0].lstrip().startswith("%%"):
        blank = [_pass(lines[0].lstrip())] + [""] * (len(lines) - 1)
        return Cell(cell.label, "\n".join(blank)), [f"{cell.label}: {lines[0].strip()[:60]}"]
    skipped: list[str] = []
    kept: list[str] = []
    for number, line in enumerate(lines, start=1):
        if _MAGIC.match(line) or _MAGIC_ASSIGNMENT.match(line) or _HELP.match(line):
            if not _OWN.match(line):  # the grader's own cell needs no note
                skipped.append(f"{cell.label} line {number}: {line.strip()[:60]}")
            kept.append(_pass(line))
        else:
            kept.append(line)
    return Cell(cell.label, "\n".join(kept)), skipped


def _python(text: str) -> bool:
    try:
        _parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _pass(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    return f"{indent}pass  # not Python: left out by the grader"


def _parse(text: str) -> ast.Module:
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    return compile(text, "<cell>", "exec", flags=flags, dont_inherit=True)


def compiles(cell: Cell) -> bool:
    """Whether the cell (IPython lines stripped) is Python that parses."""
    return _python(strip_ipython(cell)[0].text)


@dataclass
class _Statement:
    cell: Cell
    lines: list[str]
    node: ast.stmt
    start: int  # 1-based first line in the cell (decorators included)
    end: int


def _binds(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds, looking into if/try/with/for bodies, not into defs."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            found |= _binds(child)
        elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
            found |= {n for s in child.body for n in _binds(s)}
        elif isinstance(child, ast.withitem) and child.optional_vars is not None:
            found |= {n.id for n in ast.walk(child.optional_vars) if isinstance(n, ast.Name)}
    if isinstance(node, (ast.For, ast.AsyncFor)):
        found |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return found


def _uses(statement: _Statement) -> set[str]:
    """The module-level names a statement reads: at top level, or as globals inside its defs.

    A function's own locals do not count (its `loss` is not the demo cell's `loss = ...`).
    """
    text = "\n".join(statement.lines[statement.start - 1 : statement.end])
    try:
        table = symtable.symtable(text, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # top-level await: estimate
        return {
            n.id
            for n in ast.walk(statement.node)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
    found: set[str] = set()
    tables = [table]
    while tables:
        current = tables.pop()
        top = current.get_type() == "module"
        for symbol in current.get_symbols():
            if symbol.is_referenced() and (top or symbol.is_global()):
                found.add(symbol.get_name())
        tables.extend(current.get_children())
    return found


def _is_constant(node: ast.stmt, names: set[str]) -> bool:
    """An UPPER_CASE module constant (MEAN = [...]): kept even when no kept code reads it."""
    return (
        isinstance(node, (ast.Assign, ast.AnnAssign))
        and bool(names)
        and all(n.isupper() for n in names)
    )


def assemble(cells: list[Cell], api: tuple[str, ...] = ()) -> Program:
    """The module the cells define: imports, definitions and what they need, later ones winning.

    Kept: every import; the latest definition of each function and class, of each `api` name and
    of each UPPER_CASE constant; then, transitively, the latest statement binding any name those
    read. Everything else (calls, prints, training runs) is top-level demo code and left out.
    When a cell does not parse, every cell is returned as it is, so that parsing the result
    reports the syntax error in that cell (a kernel leaves such cells of its history out first).
    """
    stripped_all: list[str] = []
    statements: list[_Statement] = []
    stripped_cells = []
    for position, cell in enumerate(cells):
        clean, skipped = strip_ipython(cell)
        stripped_all.extend(skipped)
        stripped_cells.append(clean)
        try:
            tree = _parse(clean.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            unread = [strip_ipython(c)[0] for c in cells[position + 1 :]]
            return Program(_verbatim(stripped_cells + unread), _notes(stripped_all))
        lines = clean.text.split("\n")
        for node in tree.body:
            decorators = getattr(node, "decorator_list", [])
            start = min([node.lineno, *(d.lineno for d in decorators)])
            statements.append(_Statement(clean, lines, node, start, node.end_lineno or start))
    latest: dict[str, int] = {}
    roots: set[str] = set(api)
    keep: set[int] = set()
    for index, statement in enumerate(statements):
        names = _binds(statement.node)
        for name in names:
            latest[name] = index
        if isinstance(statement.node, (ast.Import, ast.ImportFrom)):
            keep.add(index)
        elif isinstance(statement.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            roots |= names
        elif _is_constant(statement.node, names):
            roots |= names
    todo = list(roots)
    for index in keep:
        todo.extend(_uses(statements[index]))
    while todo:
        needed = latest.get(todo.pop())
        if needed is None or needed in keep:
            continue
        keep.add(needed)
        todo.extend(_uses(statements[needed]))
    kept = [statements[i] for i in sorted(keep)]
    # `from __future__` must open a module; cells may have run in any order: one line first.
    future = {
        a.name
        for s in kept
        if isinstance(s.node, ast.ImportFrom) and s.node.module == "__future__"
        for a in s.node.names
    }
    rest = [
        s
        for s in kept
        if not (isinstance(s.node, ast.ImportFrom) and s.node.module == "__future__")
    ]
    head = f"from __future__ import {', '.join(sorted(future))}\n" if future else ""
    return Program(head + _render(rest), _notes(stripped_all))


def _verbatim(cells: list[Cell]) -> str:
    return "".join(f"# %% {c.label}, line 1\n{c.text}\n" for c in cells)


def _render(statements: list[_Statement]) -> str:
    """The kept statements with a `# %% <cell>, line N` header before each run of lines."""
    out: list[str] = []
    last: tuple[str, int] | None = None  # (cell label, last line written)
    for statement in statements:
        start = statement.start
        if last is not None and last[0] == statement.cell.label and start <= last[1]:
            start = last[1] + 1  # two statements on one line (a; b): written once
        if start > statement.end:
            continue
        if last is None or last != (statement.cell.label, start - 1):
            out.append(f"# %% {statement.cell.label}, line {start}")
        out.extend(statement.lines[start - 1 : statement.end])
        last = (statement.cell.label, statement.end)
    return "\n".join(out) + "\n" if out else ""


def _notes(skipped: list[str]) -> list[str]:
    if not skipped:
        return []
    more = len(skipped) - NOTE_EXAMPLES
    return [
        "left out lines that are not Python (magics, shell commands): "
        + "; ".join(skipped[:NOTE_EXAMPLES])
        + (f"; and {more} more" if more > 0 else "")
    ]


def locate(text: str, lineno: int | None) -> str:
    """Where line `lineno` of an assembled program was in the notebook: 'cell 3, line 2'."""
    if not lineno:
        return ""
    lines = text.split("\n")
    for index in range(min(lineno, len(lines)) - 1, -1, -1):
        header = _HEADER.match(lines[index])
        if header:
            line = int(header["line"]) + (lineno - index - 2)
            return f"{header['label']}, line {line}"
    return f"line {lineno}"


def where(path: Path, lineno: int) -> str:
    """Where line `lineno` of the program of notebook `path` is in it: 'cell 3, line 2'."""
    try:
        return locate(python_source(path).text, lineno)
    except NotebookError:
        return f"line {lineno}"


def python_source(path: Path, api: tuple[str, ...] = ()) -> Program:
    """The program a notebook file defines; NotebookError when it cannot be read as one."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as exc:
        raise NotebookError(f"{path.name} cannot be read ({exc.strerror})") from None
    program = assemble(read_cells(data, path.name), api)
    program.notes = [f"{path.name}: {note}" for note in program.notes]
    return program


def write_python(notebook: Path, target: Path) -> None:
    """Write the program of `notebook` as a `.py` file (what the worker imports)."""
    target.write_text(python_source(notebook).text, encoding="utf-8")
