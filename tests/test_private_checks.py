"""`grade --checks DIR`: an instructor's own catalog, checks and probes replace the shipped ones."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cli_runner
import pytest
from click.testing import CliRunner

from grader import catalog, course
from grader.cli import cli
from grader.sandbox import isolation

ROOT = Path(__file__).resolve().parent.parent


def private_folder(tmp_path: Path) -> Path:
    root = tmp_path / "private"
    (root / "checks").mkdir(parents=True)
    (root / "probes").mkdir()
    catalog = (ROOT / "grader" / "catalog.toml").read_text().replace("points = 2", "points = 5")
    (root / "catalog.toml").write_text(catalog)
    for piece in ("exercise01_squeeze.py", "exercise01_squeeze.toml"):  # a check and its words
        if (ROOT / "grader" / "checks" / piece).is_file():
            shutil.copy(ROOT / "grader" / "checks" / piece, root / "checks")
    probes = (ROOT / "grader" / "probes" / "exercise01_squeeze.py").read_text()
    (root / "probes" / "exercise01_squeeze.py").write_text(probes + "\nPRIVATE_MARKER = 1\n")
    return root


def test_private_catalog_and_checks_are_used(tmp_path: Path, monkeypatch) -> None:
    root = private_folder(tmp_path)
    result = cli_runner.invoke(
        [
            "--checks",
            str(root),
            "check",
            "exercise1",
            "--workspace",
            str(ROOT / "solutions"),
            "--device",
            "cpu",
            "--json",
            "-",
        ],
    )
    assert result.exit_code == 0, result.output
    exercise = json.loads(result.output)["exercises"][0]
    assert exercise["max_score"] == 12 and exercise["score"] == 12


def test_private_folder_is_hidden_from_learner_code(tmp_path: Path, monkeypatch) -> None:
    root = private_folder(tmp_path)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    peek = f"""
import os
SEEN = os.path.exists({str(root / "catalog.toml")!r})
def add_batch_dim(image):
    if SEEN:
        raise RuntimeError("saw the private checks")
    return image.unsqueeze(0)
def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {{tuple(batch.shape)}}")
    return batch.squeeze(0)
"""
    (workspace / "exercise01_squeeze.py").write_text(peek)
    result = cli_runner.invoke(
        [
            "--checks",
            str(root),
            "check",
            "exercise1",
            "--workspace",
            str(workspace),
            "--device",
            "cpu",
            "--json",
            "-",
        ],
    )
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    exercise = data["exercises"][0]
    checks = exercise["checks"]
    # The run really graded: every check ran and none was a grader error.
    assert checks and all(c["status"] in ("passed", "failed") for c in checks), exercise
    saw = any("saw the private checks" in c["message"] for c in checks)
    if isolation.available()[0]:
        assert not saw and exercise["status"] == "passed", exercise
        assert exercise["score"] == exercise["max_score"] == 12
    else:  # without isolation the folder can be read: the grader says so in the run's notes
        assert saw and exercise["status"] == "failed", exercise
        assert isolation.available()[1] in data["notes"]


def test_empty_private_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--checks", str(tmp_path), "list"])
    assert result.exit_code == 2, result.output
    assert "catalog.toml" in result.output


def verbatim_copy(tmp_path: Path) -> Path:
    """A private folder made of verbatim copies of the shipped catalog, checks and probes."""
    root = tmp_path / "verbatim"
    (root / "checks").mkdir(parents=True)
    (root / "probes").mkdir()
    shutil.copy(ROOT / "grader" / "catalog.toml", root)
    for folder in ("checks", "probes"):
        for path in (ROOT / "grader" / folder).glob("exercise*.*"):  # modules and their words
            shutil.copy(path, root / folder)
    return root


def grade_json(root: Path, workspace: Path, *ids: str) -> dict:
    result = cli_runner.invoke(
        ["--checks", str(root), "check", *ids, "--workspace", str(workspace)]
        + ["--device", "cpu", "--json", "-", "--html", str(workspace / "report.html")],
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.slow
def test_verbatim_private_copy_gives_every_reference_full_marks(tmp_path, monkeypatch) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "solutions", workspace)
    run = grade_json(verbatim_copy(tmp_path), workspace, "all")
    shipped_max = {e.id: e.max_score for e in catalog.load(catalog.CATALOG_FILE)}
    for exercise in run["exercises"]:
        assert exercise["status"] == "passed", exercise
        assert exercise["score"] == exercise["max_score"] == shipped_max[exercise["id"]]


def test_checks_do_not_depend_on_the_module_name_of_their_probes() -> None:
    """A private copy of a probes file loads as another module: no check may name the shipped one."""
    for path in (ROOT / "grader" / "checks").glob("exercise*.py"):
        assert "grader.probes." not in "".join(
            line
            for line in path.read_text().splitlines()
            if not line.startswith(("from", "import"))
        ), path.name


def first_entry(catalog_text: str) -> str:
    """The text of the first [[exercises]] entry of a catalog."""
    start = catalog_text.index("[[exercises]]")
    return catalog_text[start : catalog_text.index("[[exercises]]", start + 1)]


def doubled(entry: str) -> str:
    """A catalog entry with the points of every check doubled."""
    return re.sub(r"points = (\d+)", lambda m: f"points = {2 * int(m.group(1))}", entry)


def test_private_folder_overrides_one_exercise_and_inherits_the_rest(tmp_path, monkeypatch) -> None:
    root = tmp_path / "layer"
    (root / "checks").mkdir(parents=True)
    shipped = (ROOT / "grader" / "catalog.toml").read_text()
    # Only exercise 1's entry, with doubled points, and its checks module.
    first = first_entry(shipped)
    (root / "catalog.toml").write_text(doubled(first))
    for piece in ("exercise01_squeeze.py", "exercise01_squeeze.toml"):  # a check and its words
        if (ROOT / "grader" / "checks" / piece).is_file():
            shutil.copy(ROOT / "grader" / "checks" / piece, root / "checks")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    for name in ("exercise01_squeeze.py", "exercise02_to_numpy.py"):
        shutil.copy(ROOT / "solutions" / name, workspace)
    run = grade_json(root, workspace, "exercise1", "exercise2")
    one, two = run["exercises"]
    assert one["status"] == two["status"] == "passed", run
    shipped_max = {e.id: e.max_score for e in catalog.load(catalog.CATALOG_FILE)}
    assert one["max_score"] == 2 * shipped_max["exercise1"]
    assert two["max_score"] == shipped_max["exercise2"]


def test_layered_catalog_replaces_entries_by_id_and_adds_new_ones(tmp_path: Path) -> None:
    shipped = (ROOT / "grader" / "catalog.toml").read_text()
    first = first_entry(shipped)
    extra = first.replace('id = "exercise1"', 'id = "exercise99"')
    (tmp_path / "catalog.toml").write_text(doubled(first) + extra)
    layered = {e.id: e for e in catalog.layered(tmp_path / "catalog.toml")}
    shipped_ids = {e.id for e in catalog.load(catalog.CATALOG_FILE)}
    assert set(layered) == shipped_ids | {"exercise99"}
    assert layered["exercise1"].max_score == 2 * catalog.load(catalog.CATALOG_FILE)[0].max_score
    assert layered["exercise2"] == catalog.load(catalog.CATALOG_FILE)[1]


def test_a_private_quiz_bank_replaces_its_topics_only(tmp_path: Path, monkeypatch) -> None:
    from grader.quiz import bank

    shipped = (ROOT / "grader" / "quiz" / "bank.toml").read_text(encoding="utf-8")
    head, *entries = shipped.split("\n[[questions]]\n")
    shapes = [e for e in entries if re.search(r'^topic = "shapes"$', e, re.MULTILINE)]
    topic = re.search(r"\[topics\.shapes\]\n[^\n]+\n", head).group(0)
    private = tmp_path / "course"
    (private / "quiz").mkdir(parents=True)
    kept = shapes[:1]  # the course asks one shapes question only
    (private / "quiz" / "bank.toml").write_text(
        topic + "".join("\n[[questions]]\n" + e.split("\n\n[", 1)[0] + "\n" for e in kept),
        encoding="utf-8",
    )
    monkeypatch.setattr(course, "_current", course.Course.layered(private))
    layered = bank.load()
    base = bank.shipped()
    assert [t.id for t in layered.topics] == [t.id for t in base.topics]
    assert sum(1 for q in layered.questions if q.topic == "shapes") == 1
    others = [q.id for q in base.questions if q.topic != "shapes"]
    assert [q.id for q in layered.questions if q.topic != "shapes"] == others


def test_a_check_asking_for_a_fixture_of_pytests_own_plugins_names_it(tmp_path: Path) -> None:
    """A grading session loads none of pytest's own fixture plugins (run.UNUSED_PYTEST_PLUGINS,
    docs/authoring.md): an instructor's check that asks for `tmp_path` is an internal error
    that names the fixture, never a pass and never a crash."""
    root = private_folder(tmp_path)
    checks = root / "checks" / "exercise01_squeeze.py"
    text = checks.read_text()
    start = text.index('@check("add_batch_dim_view"')
    end = text.index("@check(", start + 1)
    asks = (
        '@check("add_batch_dim_view", devices="any")\n'
        "def test_view(learner, tmp_path):\n    pass\n\n\n"
    )
    checks.write_text(text[:start] + asks + text[end:])
    result = cli_runner.invoke(
        ["--checks", str(root), "check", "exercise1", "--workspace", str(ROOT / "solutions")]
        + ["--device", "cpu", "--json", "-"],
    )
    exercise = json.loads(result.output)["exercises"][0]
    view = next(c for c in exercise["checks"] if c["name"] == "add_batch_dim_view")
    assert view["status"] == "error" and "tmp_path" in view["message"], view
    assert exercise["status"] == "error"
