"""`%grade exercise3` and `grader.check("exercise3")` in Jupyter, Colab or any IPython kernel.

Unlike graders that run their tests in the learner's kernel (where hidden tests can be read or
patched), nothing of the checks enters this process: the cells the learner ran are written, in
execution order, as a notebook into a private temporary workspace, and `grade check` grades it
in a separate process, with the same sandbox, limits and verdict as in a terminal. Only its JSON
results come back. The kernel then keeps progress the way `grade check` does (`.grade/` in the
notebook's folder, so `grade list` sees it) and shows the verdict under the cell.

What the kernel shows is feedback for the learner, computed in a process the learner controls;
a course's grade of record comes from grading the saved notebook (`grade class`, Gradescope).
"""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import catalog, notebook, progress, results
from grader.notebook import Cell
from grader.notebook.view import failure_html, say, summary_html, summary_text
from grader.report.html import render
from grader.report.writing import read_sources, write_reports
from grader.results import RunResult

SECONDS_PER_EXERCISE = 120  # above the sandbox's own 60 s per exercise: it answers first
SECONDS_TO_START = 90
OUTPUT_LIMIT = 64 * 1024 * 1024
STOP_SECONDS = 5


@dataclass
class Verdict:
    """The outcome of `%grade`: shown as HTML in a notebook, as text elsewhere."""

    run: RunResult | None
    html: str
    text: str
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every graded exercise passed."""
        return self.run is not None and self.run.passed

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def _failed(detail: str, lang: str) -> Verdict:
    return Verdict(None, failure_html(detail, lang), say("grading_failed", lang, detail=detail))


def history_cells(ipython: Any) -> tuple[list[Cell], list[str]]:
    """The cells run in this kernel, in execution order, IPython-only lines stripped.

    Cells that do not compile defined nothing when they ran: they are left out (and named).
    """
    raw = list(getattr(ipython.history_manager, "input_hist_raw", []) or [])
    cells: list[Cell] = []
    broken: list[str] = []
    for number, text in enumerate(raw):
        if not isinstance(text, str) or not text.strip():
            continue
        cell = Cell(f"In[{number}]", text)
        if notebook.compiles(cell):
            cells.append(notebook.strip_ipython(cell)[0])
        else:
            broken.append(cell.label)
    return cells, broken


def history_notebook(cells: list[Cell]) -> str:
    """The cells run, as a minimal nbformat-4 notebook for `grade check` (labels kept: In[5])."""
    document = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"language_info": {"name": "python"}},
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{number}",
                "metadata": {"grader_label": cell.label[:40]},
                "execution_count": None,
                "outputs": [],
                "source": cell.text,
            }
            for number, cell in enumerate(cells, start=1)
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def grade_cells(
    cells: list[Cell],
    exercise_ids: tuple[str, ...],
    lang: str = "en",
    workspace: Path | None = None,
    device: str = "all",
    notes: tuple[str, ...] = (),
) -> Verdict:
    """Grade `cells` as each exercise's notebook with `grade check` in a separate process.

    `workspace` (default: the current folder, which is the notebook's in Jupyter) keeps the
    progress and the HTML report, as `.grade/` does for `grade check`.
    """
    try:
        exercises = [catalog.find(i) for i in exercise_ids]
    except LookupError as exc:
        return _failed(str(exc), lang)
    state = Path(workspace or Path.cwd()).resolve()
    private = Path(tempfile.mkdtemp(prefix="grade-notebook-"))
    try:
        for exercise in exercises:
            target = private / Path(exercise.file).with_suffix(notebook.SUFFIX)
            target.write_text(history_notebook(cells), encoding="utf-8")
        hints = progress.state_dir(state) / "hints.json"
        if hints.is_file():  # the hint shown is the one at the learner's level
            progress.state_dir(private).mkdir()
            shutil.copyfile(hints, progress.state_dir(private) / "hints.json")
        run = _grade_check(private, [e.id for e in exercises], lang, device)
        if isinstance(run, str):
            return _failed(run, lang)
        sources = read_sources(private, run)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    # The verdict is in hand: neither a failing report nor a read-only folder may hide it.
    try:
        report = render(run, lang, sources)
    except Exception as exc:  # noqa: BLE001 - any fault of the report writer, said as a note
        report = ""
        notes = (*notes, say("grading_failed", lang, detail=f"HTML report: {exc!r}"[:500]))
    saved: Path | None = progress.state_dir(state) / "report.html"
    try:
        merged = progress.remember(state, run)
        write_reports(merged, html=saved, lang=lang, sources=read_sources(state, merged) | sources)
    except Exception as exc:  # noqa: BLE001 - e.g. a read-only folder: said, not raised
        saved = None
        notes = (*notes, say("not_saved", lang, path=state, detail=f"{exc!r}"[:300]))
    return Verdict(
        run,
        summary_html(run, lang, report, saved, notes),
        summary_text(run, lang, notes),
        list(notes),
    )


def _grade_check(private: Path, ids: list[str], lang: str, device: str) -> RunResult | str:
    """`grade check IDS --json -` on the private workspace: its results, or what went wrong."""
    command = [sys.executable, "-m", "grader", "--lang", lang, "check", *ids]
    command += ["--workspace", str(private), "--device", device, "--json", "-"]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=private,
        )
    except OSError as exc:
        return f"the grader could not start ({exc})"
    try:
        stdout, stderr_bytes = process.communicate(
            timeout=SECONDS_TO_START + SECONDS_PER_EXERCISE * len(ids)
        )
    except BaseException as exc:  # a timeout, or the learner interrupting the kernel
        _stop(process)
        if isinstance(exc, subprocess.TimeoutExpired):
            return "the grader did not finish in time"
        raise
    stderr = stderr_bytes[-4000:].decode("utf-8", errors="replace")
    # 0 passed, 1 did not, 3 a fault of the grader with the results still written (its reasons
    # say "internal: ..."); anything else (2: usage) wrote no results.
    if process.returncode not in (0, 1, 3) or len(stdout) > OUTPUT_LIMIT:
        return f"'grade check' ended with status {process.returncode}\n{stderr}"
    try:
        return results.from_dict(json.loads(stdout))
    except (ValueError, TypeError, KeyError) as exc:
        return f"unreadable results from 'grade check' ({exc})\n{stderr}"


def _stop(process: subprocess.Popen) -> None:
    """End a grading run early: SIGINT first, so that it ends its workers; then SIGKILL."""
    process.send_signal(signal.SIGINT)
    try:
        process.communicate(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def check(
    *exercise_ids: str,
    lang: str | None = None,
    workspace: str | Path | None = None,
    device: str = "all",
) -> Verdict:
    """Grade the definitions of the cells run in this kernel: `grader.check("exercise3")`.

    Returns the verdict; as the last line of a cell, the notebook shows it.
    """
    lang = catalog.language(lang)
    if not exercise_ids:
        return _failed(say("no_ids", lang), lang)
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # noqa: N806 - the name IPython gives it
    ipython = get_ipython() if get_ipython else None
    if ipython is None or not hasattr(ipython, "history_manager"):
        return _failed(say("no_kernel", lang, id=exercise_ids[0]), lang)
    cells, broken = history_cells(ipython)
    notes = (say("left_out_cells", lang, cells=", ".join(broken[:5])),) if broken else ()
    where = Path(workspace) if workspace is not None else None
    return grade_cells(cells, exercise_ids, lang, where, device, notes)


def parse_magic(line: str) -> tuple[tuple[str, ...], dict[str, str]] | str:
    """`exercise3 --lang zh --device cpu --workspace DIR`: ids and options, or what is wrong."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        return str(exc)
    ids: list[str] = []
    options: dict[str, str] = {}
    allowed = {"--lang": catalog.LANGUAGES, "--device": ("cpu", "cuda", "all"), "--workspace": ()}
    while words:
        word = words.pop(0)
        if not word.startswith("--"):
            ids.append(word)
            continue
        name, _, value = word.partition("=")
        if name not in allowed or (not value and not words):
            return word
        value = value or words.pop(0)
        if allowed[name] and value not in allowed[name]:
            return f"{name} {value}"
        options[name[2:]] = value
    return tuple(ids), options


def grade_magic(line: str) -> None:
    """The `%grade` line magic: grade and show the verdict under the cell."""
    from IPython.display import display

    parsed = parse_magic(line)
    if isinstance(parsed, str):
        lang = catalog.language(None)
        display(_failed(say("unknown_option", lang, option=parsed), lang))
        return
    ids, options = parsed
    display(check(*ids, **options))


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext grader`: registers `%grade`."""
    ipython.register_magic_function(grade_magic, magic_kind="line", magic_name="grade")
