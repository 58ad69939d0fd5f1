"""`grade class`: a whole class graded end to end, the gradebook, the class page, resuming."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import cli_runner
import click
import pytest
from classroom_fixtures import EX1, EXPECTED1, INJECTED, MARKUP, ROOT, STUDENTS, build_class
from click.testing import CliRunner

from grader import catalog
from grader.classroom import workspace
from grader.classroom.gradebook import safe_cell
from grader.classroom.grading import grade_class, read_state
from grader.classroom.model import ClassError, ClassOptions
from grader.classroom.report import bucket, render_class
from grader.classroom.workspace import content_hash
from grader.cli.classroom import class_
from grader.engine.run import RunOptions, grade
from grader.sandbox import isolation, zygote
from grader.sandbox.limits import Limits

SEED = 7
# Hostile loops cost the call limit; honest students never come near the exercise limit.
LIMITS = Limits(call_seconds=4.0, exercise_seconds=60.0)
STUDENT_IDS = sorted([*STUDENTS, "copycat"])
# Hiding a classmate's folder needs isolation (root or user namespaces); without it the copycat
# really reads alice's solution and passes, which the run's note warns about.
ISOLATED, WHY_NOT = isolation.available()
EXPECTED = EXPECTED1 | ({} if ISOLATED else {"copycat": "passed"})


def options(submissions: Path, out: Path, **changes: object) -> ClassOptions:
    """Small, fast settings: two exercises, few generated inputs, a short time limit."""
    fields = {
        "submissions": submissions,
        "out": out,
        "exercises": (catalog.find("exercise1"), catalog.find("exercise2")),
        "device": "cpu",
        "seed": SEED,
        "max_examples": 5,
        "limits": LIMITS,
        "jobs": 2,
        "server": zygote.get(catalog.preloads()),  # the session's: no torch import per class
    } | changes
    return ClassOptions(**fields)


@pytest.fixture(scope="module")
def class_dir():
    """The class folder, outside /tmp (which the sandbox replaces) so that hiding is tested."""
    root = Path(tempfile.mkdtemp(prefix=".classroom-test-", dir=ROOT))
    try:
        os.chmod(root, 0o755)
        submissions = build_class(root)
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                os.chmod(Path(folder) / name, 0o755 if name in dirs else 0o644)
        warm = RunOptions(
            workspace=submissions / "alice", exercises=(catalog.find("exercise1"),), device="cpu"
        )
        grade(warm)  # the fork server's first torch import must not eat a student's time
        yield submissions
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(class_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The whole class graded once into a fresh output folder."""
    out = tmp_path_factory.mktemp("class") / "out"
    lines: list[str] = []
    result = grade_class(options(class_dir, out), echo=lines.append)
    return result, out


def read_gradebook(out: Path, name: str = "gradebook.csv") -> list[dict[str, str]]:
    """The students' rows (the points-possible row left out); the file starts with a BOM."""
    text = (out / name).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    return [r for r in rows if r.get("student") != "Points Possible"]


def first_status(student) -> str:
    """Exercise 1's status, or the submission's problem (missing, unreadable)."""
    return student.problem or student.run.exercises[0].status


class Page(HTMLParser):
    """What the tests look at in class.html: heatmap cells, scripts, links."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.svg_titles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        found = dict(attrs)
        if tag == "td" and "data-exercise" in found:
            self.cells.append(found)
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")
        if any(name.startswith("on") for name, _ in attrs):
            self.tags.add("event-handler")


def parse_page(out: Path) -> Page:
    page = Page()
    page.feed((out / "class.html").read_text(encoding="utf-8"))
    return page


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_every_student_is_graded_with_the_expected_verdicts(graded) -> None:
    result, out = graded
    assert [s.id for s in result.students] == STUDENT_IDS  # hidden folders and files ignored
    assert result.complete
    status = {s.id: first_status(s) for s in result.students}
    assert status == EXPECTED
    alice = next(s for s in result.students if s.id == "alice")
    assert alice.run.passed and alice.quiz == {"quiz:autograd": (3.0, 4.0)}
    eve = next(s for s in result.students if s.id == "eve")
    assert eve.run.exercises[0].reason.startswith("timeout")
    for student in STUDENT_IDS:
        if EXPECTED[student] == "missing":
            assert not (out / "students" / student).exists()
            continue
        folder = out / "students" / student
        data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        assert data["schema_version"] == 1
        assert "<!DOCTYPE html>" in (folder / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow  # grades a whole class (the module's fixture)
@pytest.mark.skipif(not ISOLATED, reason=f"no isolation on this machine: {WHY_NOT}")
def test_a_classmates_files_are_hidden_from_learner_code(graded) -> None:
    result, _ = graded
    copycat = next(s for s in result.students if s.id == "copycat")
    assert copycat.run.exercises[0].score < 6


@pytest.mark.slow  # grades a whole class (the module's fixture)
@pytest.mark.skipif(ISOLATED, reason="isolation hides a classmate's files here (tested above)")
def test_without_isolation_copying_works_and_the_run_says_so(graded) -> None:
    result, _ = graded
    copycat = next(s for s in result.students if s.id == "copycat")
    assert copycat.run.exercises[0].score == copycat.run.exercises[0].max_score
    assert WHY_NOT in copycat.run.notes


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_gradebook_has_a_row_per_student_and_a_column_per_exercise_and_quiz(graded) -> None:
    _, out = graded
    rows = read_gradebook(out)
    header = list(rows[0])
    assert header == [
        "student",
        "exercise1",
        "exercise1 status",
        "exercise2",
        "exercise2 status",
        "quiz:autograd",
        "total",
        "max",
        "status",
        "notes",
    ]
    by_student = {r["student"]: r for r in rows}
    assert set(by_student) == {"'" + INJECTED if s == INJECTED else s for s in STUDENT_IDS}
    assert by_student["alice"] == {
        "student": "alice",
        "exercise1": "6",
        "exercise1 status": "passed",
        "exercise2": "13",
        "exercise2 status": "passed",
        "quiz:autograd": "3",
        "total": "19",
        "max": "19",
        "status": "graded",
        "notes": "",
    }
    assert by_student["bob"]["quiz:autograd"] == "2" and by_student["carol"]["quiz:autograd"] == ""
    # Never a silent 0: each kind of failure says what it is.
    assert by_student["heidi"]["status"] == "missing" and by_student["heidi"]["total"] == ""
    assert by_student["dave"]["exercise1 status"] == "error: syntax"
    assert by_student["eve"]["exercise1 status"] == "error: timeout"
    assert by_student["dave"]["exercise2 status"] == "not_started"
    assert {r["max"] for r in rows} == {"19"}  # one maximum for everyone
    assert "quiz:not-a-topic" not in header  # topics outside the quiz bank are dropped
    text = (out / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[1] == "Points Possible,6,,13,,,19,19,,"


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_class_page_has_a_heatmap_cell_per_student_and_exercise_and_no_script(graded) -> None:
    _, out = graded
    page = parse_page(out)
    assert "script" not in page.tags and "event-handler" not in page.tags
    assert "img" not in page.tags  # the student named <img ...> is text
    assert MARKUP in {c["data-student"] for c in page.cells}
    assert "svg" in page.tags  # the histogram
    cells = {(c["data-student"], c["data-exercise"]) for c in page.cells}
    assert cells == {(s, e) for s in STUDENT_IDS for e in ("exercise1", "exercise2")}
    assert "(missing: no exercise file in the submission)" in (out / "class.html").read_text()
    for cell in page.cells:
        assert cell["title"] == cell["aria-label"] and cell["title"]
    alice1 = next(c for c in page.cells if c["data-student"] == "alice")
    assert "passed" in alice1["title"] and "h4" in (alice1["class"] or "")
    assert "students/alice/report.html" in page.links
    assert "students/%3D1%2B1/report.html" in page.links


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_class_page_speaks_chinese(graded) -> None:
    result, _ = graded
    page = render_class(result, "zh")
    assert '<html lang="zh">' in page and "班级报告" in page
    assert catalog.find("exercise1").mistake("squeeze_all", "zh") in page


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_class_page_ranks_the_mistakes_with_their_diagnosis(graded) -> None:
    _, out = graded
    text = (out / "class.html").read_text(encoding="utf-8")
    unsqueeze_last = catalog.find("exercise1").mistake("unsqueeze_last")
    assert "unsqueeze_last" in text and unsqueeze_last.split(":")[0] in text
    section = text.split('id="mistakes-exercise1"', 1)[1].split("</table>", 1)[0]
    # bob and =1+1 squeeze everything, carol and grace put the dimension last (a tie: by name),
    # copycat's unchanged batch is silent_squeeze (where it cannot copy): most frequent first.
    order = [section.index(f"<code>{m}</code>") for m in ("squeeze_all", "unsqueeze_last")]
    assert order == sorted(order)
    graded = sum(1 for s in STUDENT_IDS if EXPECTED[s] != "missing")
    share = [round(100 * n / graded) for n in (2, 1)]
    assert f"2 ({share[0]}%)" in section
    if ISOLATED:
        assert order[-1] < section.index("<code>silent_squeeze</code>")
        assert f"1 ({share[1]}%)" in section
    else:
        assert "<code>silent_squeeze</code>" not in section
    assert "carol, grace" in text  # identical submissions are listed together


@pytest.mark.slow
def test_an_interrupted_class_resumed_gives_the_same_gradebook(graded, tmp_path: Path) -> None:
    result, out = graded
    submissions = result.options.submissions
    resumed = tmp_path / "out"
    shutil.copytree(out, resumed)
    (resumed / "gradebook.csv").unlink()
    # Interrupted halfway: two students' results were written but not yet recorded in the
    # state, the others of that half never got their results written.
    lost = [s for s in STUDENT_IDS if EXPECTED[s] != "missing"][::2]
    for student in lost[2:]:
        shutil.rmtree(resumed / "students" / student)
    state = read_state(resumed)
    for student in lost[:2]:
        del state["students"][student]
    (resumed / "state.json").write_text(json.dumps(state))
    lines: list[str] = []
    again = grade_class(options(submissions, resumed), echo=lines.append)
    regraded = [s.id for s in again.students if not s.reused and not s.problem]
    assert sorted(regraded) == sorted(lost)
    assert (resumed / "gradebook.csv").read_bytes() == (out / "gradebook.csv").read_bytes()
    assert read_state(resumed)["students"] == read_state(out)["students"]
    assert read_state(out)["students"]["alice"] == content_hash(submissions / "alice")


@pytest.mark.slow  # grades a whole class (the module's fixture)
def test_only_a_changed_file_or_a_changed_setting_is_graded_again(tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    for student in ("heidi", "ivan"):
        (submissions / student).mkdir(parents=True)
        shutil.copyfile(ROOT / "grader" / "stubs" / EX1, submissions / student / EX1)  # quick
    out = tmp_path / "out"
    first = grade_class(options(submissions, out), only=["ivan"])
    # Everyone stays in the gradebook; only ivan was graded.
    assert [(s.id, s.run is not None) for s in first.students] == [("heidi", False), ("ivan", True)]
    assert len(read_gradebook(out)) == 2
    assert [s.reused for s in grade_class(options(submissions, out)).students] == [False, True]
    assert all(s.reused for s in grade_class(options(submissions, out)).students)
    again = grade_class(options(submissions, out), only=["heidi"])  # regrade one student
    assert [s.reused for s in again.students] == [False, True]
    (submissions / "heidi" / "scratch.py").write_text("x = 1\n")
    assert [s.reused for s in grade_class(options(submissions, out)).students] == [False, True]
    changed = grade_class(options(submissions, out, seed=SEED + 1))
    assert not any(s.reused for s in changed.students)
    with pytest.raises(ClassError, match="nobody"):
        grade_class(options(submissions, out), only=["nobody"])


def test_a_student_whose_grading_dies_is_an_error_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submissions = tmp_path / "class"
    for student in ("crash", "heidi"):
        (submissions / student).mkdir(parents=True)
        shutil.copyfile(ROOT / "grader" / "stubs" / EX1, submissions / student / EX1)
    real = workspace.grade_workspace

    def dying(folder: Path, config: dict, *rest: object) -> dict:
        if Path(folder).name == "crash":
            os._exit(3)  # the forked job dies, as a grader bug or the OOM killer would
        return real(folder, config, *rest)

    monkeypatch.setattr(workspace, "grade_workspace", dying)
    out = tmp_path / "out"
    result = grade_class(options(submissions, out, jobs=1))
    assert not result.complete
    crash = result.students[0]
    assert crash.run is None and "died" in crash.error
    rows = read_gradebook(out)
    assert rows[0]["exercise1"] == "" and rows[0]["status"].startswith("error:")
    assert rows[1]["status"] == "graded"
    assert "crash" not in read_state(out)["students"]
    page = parse_page(out)
    assert len(page.cells) == 4


def test_csv_cells_cannot_start_a_formula() -> None:
    for text in ("=cmd()", "+1", "-1", "@SUM(A1)", "  =1", "\t=1", "\x1b=1"):
        assert safe_cell(text).lstrip(" ").startswith("'"), text
    assert safe_cell("alice") == "alice" and safe_cell("4.5") == "4.5"
    assert [bucket(f) for f in (0, 0.2, 0.5, 0.9, 1)] == [0, 1, 2, 3, 4]


@pytest.fixture
def cli_group():
    @click.group()
    def group() -> None:
        """A stand-in for `grade`."""

    group.add_command(class_, "class")
    return group


def test_cli_grades_every_exercise_and_exits_0(cli_group, tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    for student in ("ann", "ben"):
        (submissions / student).mkdir(parents=True)
    shutil.copyfile(ROOT / "solutions" / EX1, submissions / "ann" / EX1)
    out = tmp_path / "out"
    args = ["class", str(submissions), "--out", str(out), "--device", "cpu", "--lang", "en"]
    result = cli_runner.invoke([*args, "--max-examples", "3", "--timeout", "20"], cli_group)
    assert result.exit_code == 0, result.output
    assert "2 students" in result.output and "gradebook.csv" in result.output
    header = read_gradebook(out)[0]
    scores = [k for k in header if k.startswith("exercise") and not k.endswith(" status")]
    assert scores == [e.id for e in catalog.exercises()]
    assert read_gradebook(out)[0]["exercise1"] == "6"


@pytest.mark.parametrize("case", ["missing", "empty", "inside"])
def test_cli_usage_errors_name_the_path(cli_group, tmp_path: Path, case: str) -> None:
    submissions = tmp_path / "class"
    out = tmp_path / "out"
    if case != "missing":
        submissions.mkdir()
    if case == "inside":
        (submissions / "ann").mkdir()
        out = submissions / "ann" / "out"
    result = CliRunner().invoke(cli_group, ["class", str(submissions), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert str(submissions) in result.output


def test_cli_exits_3_when_a_student_could_not_be_graded(
    cli_group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submissions = tmp_path / "class"
    (submissions / "crash").mkdir(parents=True)
    shutil.copyfile(ROOT / "grader" / "stubs" / EX1, submissions / "crash" / EX1)
    monkeypatch.setattr(workspace, "grade_workspace", lambda *_: os._exit(3))
    args = ["class", str(submissions), "--out", str(tmp_path / "o"), "--lang", "en"]
    result = cli_runner.invoke(args, cli_group)
    assert result.exit_code == 3, result.output  # the grader's failure, not the student's
    assert "1 could not be graded" in result.output


def test_cli_without_dask_says_how_to_install_it(
    cli_group, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    (tmp_path / "class" / "ann").mkdir(parents=True)
    shutil.copyfile(ROOT / "solutions" / EX1, tmp_path / "class" / "ann" / EX1)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    args = ["class", str(tmp_path / "class"), "--out", str(tmp_path / "o"), "--dask", "tcp://x:1"]
    result = cli_runner.invoke(args, cli_group)
    assert result.exit_code == 2, result.output
    assert "pip install '.[cluster]'" in result.output


@pytest.mark.slow
def test_dask_cluster_grades_like_local_jobs(graded, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    result, out = graded
    submissions = tmp_path / "class"
    for student in ("alice", "dave"):
        shutil.copytree(result.options.submissions / student, submissions / student)
    remote = tmp_path / "remote"
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        on_cluster = grade_class(options(submissions, remote, dask=cluster.scheduler_address))
    assert on_cluster.complete and not any(s.reused for s in on_cluster.students)
    local = {r["student"]: r for r in read_gradebook(out)}
    assert read_gradebook(remote) == [local["alice"], local["dave"]]
    dave = json.loads((remote / "students" / "dave" / "results.json").read_text())
    assert str(submissions / "dave") in dave["exercises"][1]["reason"]  # not the worker's copy
