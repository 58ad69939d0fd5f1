"""Notebooks: submissions read from code cells, `grade init --notebooks`, `%grade` in a real kernel."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import catalog, notebook, results, source
from grader.cli import cli
from grader.engine.run import RunOptions, grade
from grader.notebook import Cell
from grader.notebook import kernel as notebook_kernel
from grader.notebook.convert import exercise_notebook, split_stub
from grader.notebook.view import summary_html
from grader.reset import stub_path
from grader.results import CheckResult, ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent
EX3 = "exercise03_train_step"
REFERENCE = (ROOT / "solutions" / f"{EX3}.py").read_text()
MISTAKE = (ROOT / "tests" / "submissions" / "exercise3" / "mistake_no_zero_grad.py").read_text()
DIAGNOSIS = catalog.find("exercise3").mistake("no_zero_grad", "en")
QUICK = ["--device", "cpu", "--max-examples", "3"]


def write_notebook(folder: Path, cells: list[str], stem: str = EX3) -> Path:
    """A saved notebook of these code cells (sources as lists of lines, as Jupyter saves them)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads(notebook_kernel.history_notebook([Cell("x", text) for text in cells]))
    for cell in data["cells"]:
        cell["metadata"] = {}
        cell["source"] = cell["source"].splitlines(keepends=True)
    data["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# notes"})
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(data))
    return path


def program(*cells: str) -> str:
    return notebook.assemble([Cell(f"cell {n}", t) for n, t in enumerate(cells, 1)]).text


def grade_folder(folder: Path, exercise: str = "exercise3") -> ExerciseResult:
    options = RunOptions(
        workspace=folder, exercises=(catalog.find(exercise),), device="cpu", max_examples=3
    )
    return grade(options).exercises[0]


def test_later_definitions_win_and_keep_their_place() -> None:
    text = program(
        "def f():\n    return 1\n", "def g():\n    return f()\n", "def f():\n    return 2\n"
    )
    namespace: dict = {}
    exec(compile(text, "program", "exec"), namespace)
    assert namespace["g"]() == 2
    assert text.count("def f") == 1 and "# %% cell 3, line 1" in text


def test_demo_code_is_left_out_and_what_definitions_read_is_kept() -> None:
    text = program(
        "import torch\nSCALE = 2\nhelper_value = 3\nloss = 99\n",
        "def helper():\n    return helper_value\n\ndef train(x):\n    loss = x * SCALE\n"
        "    return loss + helper()\n",
        "print(train(1))\nloss = train(1)\ngrader_check_result = train(2)\n",
    )
    namespace: dict = {}
    exec(compile(text, "program", "exec"), namespace)
    assert namespace["train"](1) == 5
    assert "print(" not in text and "loss = train" not in text and "loss = 99" not in text
    assert "import torch" in text and "SCALE = 2" in text


def test_future_imports_open_the_program_whatever_cell_they_came_from() -> None:
    text = program(
        "def f() -> Later:\n    return 1\n",
        "from __future__ import annotations\nimport math\n",
        "from __future__ import annotations",
    )
    assert text.startswith("from __future__ import annotations\n") and text.count("__future__") == 1
    namespace: dict = {}
    exec(compile(text, "program", "exec"), namespace)
    assert namespace["f"]() == 1


def test_magics_and_shell_lines_are_left_out_with_a_note(tmp_path: Path) -> None:
    path = write_notebook(
        tmp_path,
        [
            "%matplotlib inline\n!pip install tqdm\nfiles = !ls\nimport torch",
            "%%time\nfor step in range(3):\n    print(step)",
            'MESSAGE = ("%d steps"\n           % 3)',
            "def f(x):\n    %time x\n    return x\n",
            "%load_ext grader\n%grade exercise3",
        ],
    )
    made = notebook.python_source(path)
    namespace: dict = {}
    exec(compile(made.text, "program", "exec"), namespace)
    assert namespace["f"](3) == 3 and "print(step)" not in made.text
    assert namespace["MESSAGE"] == "3 steps"  # Python already: a line starting with % stays
    (note,) = made.notes
    assert "%matplotlib inline" in note and "!pip install tqdm" in note and "and 2 more" in note
    assert "%grade" not in note  # the grader's own cell needs no note


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid notebook JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "not a notebook"),
        (json.dumps({"nbformat": 3, "worksheets": []}).encode(), "notebook format 3"),
        (json.dumps({"nbformat": 4, "cells": {}}).encode(), "no list of cells"),
        (json.dumps({"nbformat": 4, "cells": [{"source": "x"}]}).encode(), "cell 1 is not a cell"),
        (
            json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}).encode(),
            "neither text nor a list of lines",
        ),
    ],
)
def test_a_malformed_notebook_is_an_error_with_a_clear_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / f"{EX3}.ipynb").write_bytes(content)
    result = grade_folder(tmp_path)
    assert result.status == "error"
    assert "not a readable notebook" in result.reason and reason in result.reason, result.reason


def test_a_syntax_error_names_the_cell_and_its_line(tmp_path: Path) -> None:
    write_notebook(tmp_path, ["import torch", "def train_step(:\n    pass\n"])
    result = grade_folder(tmp_path)
    assert result.status == "error"
    assert result.reason.startswith("syntax: ") and f"{EX3}.ipynb, cell 3, line 1" in result.reason


def test_the_py_file_wins_over_a_notebook_of_the_same_exercise(tmp_path: Path) -> None:
    assert notebook.learner_path(tmp_path, f"{EX3}.py") == tmp_path / f"{EX3}.py"
    write_notebook(tmp_path, [REFERENCE])
    assert notebook.learner_path(tmp_path, f"{EX3}.py") == tmp_path / f"{EX3}.ipynb"
    (tmp_path / f"{EX3}.py").write_text(REFERENCE)
    assert notebook.learner_path(tmp_path, f"{EX3}.py") == tmp_path / f"{EX3}.py"


@pytest.mark.parametrize("lang", catalog.LANGUAGES)
@pytest.mark.parametrize("exercise", catalog.exercises(), ids=lambda e: e.id)
def test_generated_notebooks_follow_their_stubs(
    tmp_path: Path, exercise: catalog.Exercise, lang: str
) -> None:
    pytest.importorskip("nbformat", reason="the [notebook] extra is not installed")
    import nbformat

    book = exercise_notebook(exercise, lang)
    stub = stub_path(exercise, lang)
    lesson, code = split_stub(stub.read_text(encoding="utf-8"))
    markdown = [c.source for c in book.cells if c.cell_type == "markdown"]
    code_cells = [c.source for c in book.cells if c.cell_type == "code"]
    assert lesson and markdown[0].split("\n", 1)[1] == lesson.split("\n", 1)[1].rstrip("\n")
    assert code_cells == [code.rstrip("\n"), f"%load_ext grader\n%grade {exercise.id}"]
    path = tmp_path / Path(exercise.file).with_suffix(".ipynb")
    nbformat.write(book, path)
    from_notebook = source.read(path, pristine=stub_path(exercise))
    from_stub = source.read(stub, pristine=stub_path(exercise))
    assert not from_notebook.syntax_error and not from_notebook.notes
    assert from_notebook.defined == from_stub.defined
    assert from_notebook.not_started(exercise.api) and from_stub.not_started(exercise.api)


def test_grade_init_writes_every_exercise_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    result = CliRunner().invoke(cli, ["--lang", "en", "init", str(folder)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(e.file for e in catalog.exercises())
    (folder / f"{EX3}.py").write_text(REFERENCE)
    again = CliRunner().invoke(cli, ["--lang", "en", "init", str(folder)])
    assert again.exit_code == 0 and f"Kept {len(files)} files" in again.output
    assert (folder / f"{EX3}.py").read_text() == REFERENCE
    not_a_folder = CliRunner().invoke(cli, ["init", str(folder / f"{EX3}.py")])
    assert not_a_folder.exit_code == 2 and "not a folder" in not_a_folder.output


def test_grade_init_notebooks_in_chinese(tmp_path: Path) -> None:
    pytest.importorskip("nbformat", reason="the [notebook] extra is not installed")
    folder = tmp_path / "课程"
    result = CliRunner().invoke(cli, ["init", str(folder), "--notebooks", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert "写入" in result.output
    assert sorted(p.suffix for p in folder.iterdir()) == [".ipynb"] * len(catalog.exercises())
    book = json.loads((folder / f"{EX3}.ipynb").read_text(encoding="utf-8"))
    assert book["metadata"]["grader"] == {
        "exercise": "exercise3",
        "stub": f"{EX3}.py",
        "lang": "zh",
    }
    assert "评分" in "".join(book["cells"][-2]["source"])


def test_grade_reset_gives_a_notebook_workspace_its_notebook_back(tmp_path: Path) -> None:
    pytest.importorskip("nbformat", reason="the [notebook] extra is not installed")
    from grader.notebook.convert import notebook_text
    from grader.reset import reset

    folder = tmp_path / "work"
    args = ["init", str(folder), "--notebooks", "--lang", "en"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    path = folder / f"{EX3}.ipynb"
    pristine = path.read_text(encoding="utf-8")
    assert pristine == notebook_text(catalog.find("exercise3"), "en")
    path.write_text(pristine.replace("raise NotImplementedError", "return 0.0"), encoding="utf-8")
    changed, backup = reset(folder, catalog.find("exercise3"), lang="en")
    assert changed and backup is not None and backup.suffix == ".ipynb"
    assert "return 0.0" in backup.read_text(encoding="utf-8")
    assert path.read_text(encoding="utf-8") == pristine and not (folder / f"{EX3}.py").exists()


def test_kernel_history_is_read_in_execution_order_without_broken_cells() -> None:
    class History:
        input_hist_raw = ["", "%load_ext grader", "def f(:", "def f():\n    return 1", "  "]

    class Shell:
        history_manager = History()

    cells, broken = notebook_kernel.history_cells(Shell())
    assert [c.label for c in cells] == ["In[1]", "In[3]"] and broken == ["In[2]"]
    assert cells[0].text.startswith("pass  #")  # the magic, stripped in the kernel already


def passed_run(*_: object) -> RunResult:
    exercise = ExerciseResult(id="exercise3", title="t", status="passed", score=12, max_score=12)
    return RunResult(exercises=[exercise], seed=0, devices=["cpu"])


def test_kernel_cells_are_graded_from_a_private_notebook_and_progress_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict = {}

    def fake_grade_check(private: Path, ids: list[str], lang: str, device: str) -> RunResult:
        seen["private"], seen["ids"] = private, ids
        seen["program"] = notebook.python_source(private / f"{EX3}.ipynb").text
        return passed_run()

    monkeypatch.setattr(notebook_kernel, "_grade_check", fake_grade_check)
    cells = [Cell("In[1]", "X = 1"), Cell("In[2]", "def train_step():\n    return X\n")]
    verdict = notebook_kernel.grade_cells(cells, ("exercise3",), "en", tmp_path, "cpu")
    assert verdict.passed and seen["ids"] == ["exercise3"] and not seen["private"].exists()
    assert "# %% In[2], line 1\ndef train_step" in seen["program"]
    assert (tmp_path / ".grade" / "last-run.json").is_file()
    assert (tmp_path / ".grade" / "report.html").is_file() and "passed" in verdict.text
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    kept = notebook_kernel.grade_cells(cells, ("exercise3",), "en", not_a_folder, "cpu")
    assert kept.passed and "could not be saved" in kept.html


@pytest.mark.parametrize(("status", "said"), [(1, ""), (3, ""), (2, "ended with status 2")])
def test_results_are_read_on_every_exit_status_that_writes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, said: str
) -> None:
    written = tmp_path / "run.json"
    written.write_text(results.to_json(passed_run()))
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\ncat '{written}'\nexit {status}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    got = notebook_kernel._grade_check(tmp_path, ["exercise3"], "en", "cpu")
    if said:
        assert isinstance(got, str) and said in got
    else:
        assert isinstance(got, RunResult) and got.exercises[0].status == "passed"


def test_a_grading_run_past_its_time_is_stopped_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notebook_kernel, "SECONDS_TO_START", 0.2)
    monkeypatch.setattr(notebook_kernel, "SECONDS_PER_EXERCISE", 0)
    write_notebook(tmp_path, [REFERENCE])
    said = notebook_kernel._grade_check(tmp_path, ["exercise3"], "en", "cpu")
    assert said == "the grader did not finish in time"


def test_magic_arguments_are_parsed_strictly() -> None:
    assert notebook_kernel.parse_magic("exercise3 --lang zh --device=cpu") == (
        ("exercise3",),
        {"lang": "zh", "device": "cpu"},
    )
    assert notebook_kernel.parse_magic("exercise3 --seed 1") == "--seed"
    assert notebook_kernel.parse_magic("exercise3 --device gpu") == "--device gpu"
    assert notebook_kernel.parse_magic("exercise3 --lang") == "--lang"


def test_check_outside_a_kernel_says_where_it_works() -> None:
    verdict = notebook_kernel.check("exercise3", lang="en")
    assert verdict.run is None and not verdict.passed
    assert "Jupyter" in verdict.text and "grade exercise3" in verdict.html


def test_the_summary_shows_what_to_fix_and_escapes_learner_text() -> None:
    check = CheckResult(
        name="step",
        title="train_step clears old gradients",
        device="cpu",
        status="failed",
        message="<script>alert(1)</script> moved too far",
        diagnosis=DIAGNOSIS,
        mistake="no_zero_grad",
        example="inputs = tensor([1.0])",
        line=4,
    )
    exercise = ExerciseResult(
        id="exercise3",
        title="The training step",
        status="failed",
        score=2.0,
        max_score=12,
        hint="(1/3) Where do gradients go?",
        checks=[check],
    )
    run = RunResult(exercises=[exercise], seed=0, devices=["cpu"], notes=["a note"])
    page = summary_html(run, "en", report="<html><body>full</body></html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    for text in ("failed", "2 of 12 points", "Smallest failing input", "inputs = tensor([1.0])"):
        assert text in page, text
    assert "your code, line 4" in page and "Where do gradients go?" in page and "a note" in page
    assert "<details>" in page and 'srcdoc="&lt;html&gt;' in page
    assert "backward() adds into .grad" in page


def test_the_summary_speaks_chinese() -> None:
    check = CheckResult(name="step", device="cpu", status="failed", diagnosis="诊断", example="x")
    exercise = ExerciseResult(id="exercise3", title="训练步骤", status="failed", max_score=12)
    exercise.checks, exercise.hint = [check], "提示文字"
    page = summary_html(RunResult(exercises=[exercise], seed=0, devices=["cpu"]), "zh", "<p/>")
    for text in (
        "未通过",
        "<b>原因</b>：诊断",
        "最小失败输入",
        "<b>提示</b>：提示文字",
        "完整报告",
    ):
        assert text in page, text


@pytest.mark.slow
def test_a_notebook_submission_grades_like_the_py(tmp_path: Path) -> None:
    for code, status in ((REFERENCE, "passed"), (MISTAKE, "failed")):
        py_folder, nb_folder = tmp_path / f"py-{status}", tmp_path / f"nb-{status}"
        py_folder.mkdir()
        (py_folder / f"{EX3}.py").write_text(code)
        write_notebook(nb_folder, ["%matplotlib inline\nimport torch", code, "train_step"])
        as_py, as_notebook = grade_folder(py_folder), grade_folder(nb_folder)
        assert as_py.status == as_notebook.status == status, as_notebook.reason
        assert as_py.score == as_notebook.score
        assert [(c.name, c.status, c.mistake) for c in as_py.checks] == [
            (c.name, c.status, c.mistake) for c in as_notebook.checks
        ]


@pytest.mark.slow
def test_an_import_error_names_the_notebook_cell_and_line(tmp_path: Path) -> None:
    write_notebook(tmp_path, ["import torch", "SCALE = 2\nLIMIT = 1 / 0\n", REFERENCE])
    result = grade_folder(tmp_path)
    assert result.status == "error"
    assert result.reason.startswith("import: ZeroDivisionError"), result.reason
    assert result.reason.endswith(f"({EX3}.ipynb, cell 3, line 2)"), result.reason


@pytest.mark.slow
def test_grade_class_grades_a_notebook_like_the_py(tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    (submissions / "py").mkdir(parents=True)
    (submissions / "py" / f"{EX3}.py").write_text(MISTAKE)
    write_notebook(submissions / "nb", ["import torch\n!nvidia-smi", MISTAKE, "print('demo')"])
    out = tmp_path / "out"
    args = ["--lang", "en", "class", str(submissions), "--out", str(out), *QUICK]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    graded = {}
    for student in ("py", "nb"):
        data = json.loads((out / "students" / student / "results.json").read_text())
        (exercise,) = [e for e in data["exercises"] if e["id"] == "exercise3"]
        graded[student] = (exercise["status"], exercise["score"], exercise["checks"])
    assert graded["nb"] == graded["py"] and graded["py"][0] == "failed"
    assert "no_zero_grad" in {c["mistake"] for c in graded["py"][2]}


@pytest.mark.slow
def test_gradescope_reads_a_notebook_submission(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_ci_kit import build_bundle, gradescope_root, run_autograder

    root = gradescope_root(tmp_path, build_bundle(tmp_path))
    write_notebook(root / "submission" / "work", [REFERENCE])
    data = run_autograder(root)
    tests = [t for t in data["tests"] if t["name"].startswith("exercise3:")]
    assert tests and all(t["status"] == "passed" for t in tests), tests
    assert data["score"] == catalog.find("exercise3").max_score
    assert "exercise01_squeeze.py" in data["output"]  # the others are named as not found


# --- a real kernel -------------------------------------------------------------------------


def execute(book_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Run every cell of the notebook in a fresh ipykernel of this Python, in its folder."""
    pytest.importorskip("ipykernel", reason="the [notebook] extra is not installed")
    nbclient = pytest.importorskip("nbclient", reason="the [notebook] extra is not installed")
    import nbformat

    # A kernel spec of our own: a "python3" installed elsewhere on the machine may be another
    # Python, without the grader.
    spec = book_path.parent.parent / "jupyter" / "kernels" / "grader-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "grader test", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(spec.parent.parent))
    book = nbformat.read(book_path, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=600,
        kernel_name="grader-test",
        resources={"metadata": {"path": str(book_path.parent)}},
    )
    client.execute()
    return book.cells


def shown(cell: dict) -> str:
    """What a code cell showed: HTML where there is HTML, else text."""
    parts = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        parts.append(data.get("text/html") or data.get("text/plain") or output.get("text", ""))
    return "".join(parts)


def learner_notebook(tmp_path: Path, stub_cell: str, *more: str) -> Path:
    """`grade init --notebooks` exercise 3, its stub cell replaced, more cells at the end."""
    pytest.importorskip("nbformat", reason="the [notebook] extra is not installed")
    import nbformat

    folder = tmp_path / "work"
    result = CliRunner().invoke(cli, ["--lang", "en", "init", str(folder), "--notebooks"])
    assert result.exit_code == 0, result.output
    path = folder / f"{EX3}.ipynb"
    book = nbformat.read(path, as_version=4)
    (stub,) = [
        c for c in book.cells if c.cell_type == "code" and "raise NotImplementedError" in c.source
    ]
    stub.source = stub_cell
    book.cells.extend(nbformat.v4.new_code_cell(text) for text in more)
    nbformat.write(book, path)
    return path


@pytest.mark.slow
def test_kernel_reference_pasted_passes_and_nothing_of_the_checks_enters_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaked = "import sys\nprint(sorted(m for m in sys.modules if m.startswith(LEAKS)))"
    path = learner_notebook(
        tmp_path,
        REFERENCE,
        "LEAKS = ('grader.checks', 'grader.engine.plugin', 'grader.probes', 'pytest', 'hypothesis')",
        leaked,
    )
    cells = [c for c in execute(path, monkeypatch) if c.cell_type == "code"]
    verdict = shown(cells[1])
    assert "data-status='passed'" in verdict and ">passed<" in verdict, verdict[:2000]
    assert "Full report" in verdict and "<iframe" in verdict
    assert shown(cells[-1]).strip() == "[]"
    last = json.loads((path.parent / ".grade" / "last-run.json").read_text())
    assert [(e["id"], e["status"]) for e in last["exercises"]] == [("exercise3", "passed")]
    listed = CliRunner().invoke(cli, ["--lang", "en", "list", "--workspace", str(path.parent)])
    assert "exercise3" in listed.output and "passed" in listed.output


@pytest.mark.slow
def test_kernel_shows_the_diagnosis_then_grades_the_later_definition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference_step = REFERENCE[
        REFERENCE.index("def train_step") : REFERENCE.index("def train_epoch")
    ]
    path = learner_notebook(
        tmp_path,
        MISTAKE,
        "from collections.abc import Callable\n\nimport torch\nfrom torch import Tensor, nn\n\n\n"
        + reference_step,
        "import grader\ngrader.check('exercise3', device='cpu')",
    )
    cells = [c for c in execute(path, monkeypatch) if c.cell_type == "code"]
    first, last = shown(cells[1]), shown(cells[-1])
    assert "data-status='failed'" in first, first[:2000]
    assert "backward() adds into .grad instead of replacing it" in first
    assert "Smallest failing input" in first and "Hint" in first
    assert "data-status='passed'" in last, last[:2000]
