"""`grade init DIR [--notebooks]`: a learner's folder of exercises, as `.py` files or notebooks.

The `.py` stubs stay the one source of truth: a notebook is generated from its stub each time
(the module docstring, which teaches, as markdown; the code as one cell to fill in; a `%grade`
cell at the end), so there is no second copy of the exercises to keep in step. Existing files
are never overwritten: running it again only adds what is missing.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from grader import catalog, notebook
from grader.catalog import Exercise
from grader.course import stub_path
from grader.notebook.view import say


def split_stub(text: str) -> tuple[str, str]:
    """A stub's module docstring (the lesson) and its code after it (what the learner fills)."""
    tree = ast.parse(text)
    first = tree.body[0] if tree.body else None
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return "", text.strip("\n") + "\n"
    lesson = ast.get_docstring(tree, clean=True) or ""
    code = "\n".join(text.split("\n")[first.end_lineno :])
    return lesson, code.strip("\n") + "\n"


def lesson_markdown(lesson: str) -> str:
    """The docstring as markdown: its first line a heading (indented blocks stay code blocks)."""
    heading, _, rest = lesson.partition("\n")
    return f"# {heading.strip().rstrip('.。')}\n{rest}".rstrip("\n")


def grade_cell(exercise: Exercise) -> str:
    """The last cell of an exercise notebook."""
    return f"%load_ext grader\n%grade {exercise.id}"


def exercise_notebook(exercise: Exercise, lang: str = "en") -> Any:
    """The notebook of one exercise (an nbformat NotebookNode), generated from its stub."""
    import nbformat
    from nbformat import v4

    stub = stub_path(exercise, lang)
    lesson, code = split_stub(stub.read_text(encoding="utf-8"))
    cells = []
    if lesson:
        cells.append(v4.new_markdown_cell(lesson_markdown(lesson)))
    cells += [
        v4.new_markdown_cell(say("run_cell", lang)),
        v4.new_code_cell(code.rstrip("\n")),
        v4.new_markdown_cell(say("grade_cell", lang)),
        v4.new_code_cell(grade_cell(exercise)),
    ]
    book = v4.new_notebook(cells=cells)
    book.metadata.update(
        kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
        language_info={"name": "python"},
        grader={"exercise": exercise.id, "stub": exercise.file, "lang": lang},
    )
    for number, cell in enumerate(book.cells, start=1):
        cell["id"] = f"{exercise.stem.replace('_', '-')}-{number}"  # stable ids: stable files
    nbformat.validate(book)
    return book


def notebook_text(exercise: Exercise, lang: str = "en") -> str:
    """The notebook file of one exercise as `grade init --notebooks` writes it."""
    import nbformat

    text = nbformat.writes(exercise_notebook(exercise, lang))
    return text if text.endswith("\n") else text + "\n"


def init_folder(folder: Path, notebooks: bool, lang: str) -> tuple[list[Path], list[Path]]:
    """Write every exercise's stub (or notebook) into `folder`; (written, kept as they were)."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    kept: list[Path] = []
    for exercise in catalog.exercises():
        python = folder / exercise.file
        book = python.with_suffix(notebook.SUFFIX)
        existing = [p for p in (python, book) if p.exists()]
        if existing:
            kept.extend(existing)
            continue
        if notebooks:
            book.write_text(notebook_text(exercise, lang), encoding="utf-8")
            written.append(book)
        else:
            python.write_bytes(stub_path(exercise, lang).read_bytes())
            written.append(python)
    return written, kept
