"""`grade verify`: a complete exercise passes, and each kind of shortfall gets its own line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import catalog
from grader.cli.app import cli
from grader.instructor.verify import _never_ran, checks_shortfalls, entry_shortfalls, expectation

ROOT = Path(__file__).resolve().parent.parent
SQUEEZE = "exercise01_squeeze.py"
CORPUS = ROOT / "tests" / "submissions" / "exercise1"
KEPT = (
    "alt_index_none.py",
    "alt_view_reshape.py",
    "mistake_assert.py",
    "mistake_clone.py",
    "mistake_silent_squeeze.py",
    "mistake_unsqueeze_last.py",
)


def catalog_entries(*ids: str) -> str:
    """The shipped catalog's header and the entries of `ids` only."""
    head, *entries = (ROOT / "grader" / "catalog.toml").read_text().split("[[exercises]]")
    kept = [e for e in entries if any(f'id = "{i}"\n' in e for i in ids)]
    return head + "".join("[[exercises]]" + e for e in kept)


def private_folder(tmp_path: Path, catalog_text: str | None = None) -> Path:
    """A private checks folder for exercise 1 with its references, stub and a small corpus."""
    root = tmp_path / "private"
    for part in ("checks", "probes", "solutions", "exercises", "submissions/exercise1"):
        (root / part).mkdir(parents=True)
    text = catalog_text or catalog_entries("exercise1")
    (root / "catalog.toml").write_text(text)
    shutil.copy(ROOT / "grader" / "checks" / SQUEEZE, root / "checks")
    words = ROOT / "grader" / "checks" / Path(SQUEEZE).with_suffix(".toml")  # the check's messages
    if words.is_file():
        shutil.copy(words, root / "checks")
    shutil.copy(ROOT / "grader" / "probes" / SQUEEZE, root / "probes")
    shutil.copy(ROOT / "solutions" / SQUEEZE, root / "solutions")
    shutil.copy(ROOT / "exercises" / SQUEEZE, root / "exercises")
    for name in KEPT:
        shutil.copy(CORPUS / name, root / "submissions" / "exercise1")
    return root


def run_verify(root: Path, monkeypatch, *args: str):
    """`grade --checks ROOT verify`, through the real group (it installs the private course)."""
    monkeypatch.delenv("GRADE_CHECKS", raising=False)
    monkeypatch.chdir(root)
    return CliRunner().invoke(cli, ["--checks", str(root), "verify", "--jobs", "2", *args])


@pytest.mark.slow
def test_a_complete_private_folder_verifies(tmp_path: Path, monkeypatch) -> None:
    result = run_verify(private_folder(tmp_path), monkeypatch)
    assert result.exit_code == 0, result.output
    assert "all is well (1 exercises, 1 references, 1 stubs, 6 corpus files)" in result.output


@pytest.mark.slow
def test_every_shortfall_is_a_line(tmp_path: Path, monkeypatch) -> None:
    text = catalog_entries("exercise1", "exercise2")
    first_hint = text.split(".en = [\n", 1)[1].split("\n", 1)[0]
    text = text.replace(first_hint, '  "  ",', 1)
    root = private_folder(tmp_path, text)
    shutil.copy(CORPUS / "mistake_squeeze_all.py", root / "solutions" / SQUEEZE)
    shutil.copy(ROOT / "solutions" / SQUEEZE, root / "exercises" / SQUEEZE)
    corpus = root / "submissions" / "exercise1"
    for name in KEPT[1:]:
        (corpus / name).unlink()
    wrong = (CORPUS / "mistake_clone.py").read_text().split("\n", 1)[1]
    (corpus / "claims_to_pass.py").write_text("# expect: passed\n" + wrong)
    (corpus / "no_promise.py").write_text(wrong)
    result = run_verify(root, monkeypatch)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    expected = [
        "exercise1: catalog: an empty hint in hints.add_batch_dim.en",
        "exercise1: stub: ",
        "exercise1: reference: failed with ",
        "exercise1: reference: check remove_batch_dim_shape [cpu] failed",
        "exercise1: corpus: exercise1/claims_to_pass.py: expected passed, got failed",
        "exercise1: corpus: no_promise.py: first line is not '# expect: ...'",
        "exercise1: corpus: 0 named mistakes",
    ]
    # A private folder is a layer: exercise 2's checks, stub, reference and corpus are the
    # shipped ones, since the folder holds only its catalog entry.
    assert "exercise2:" not in result.output
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, result.output)
    assert "exercise1: corpus: exercise1/alt_index_none.py" not in result.output
    assert lines[-1].startswith("verify: ") and "shortfalls" in lines[-1]


def test_explicit_folders_win_and_a_missing_one_is_a_shortfall(tmp_path: Path, monkeypatch) -> None:
    root = private_folder(tmp_path)
    result = run_verify(
        root,
        monkeypatch,
        "exercise1",
        "--solutions",
        str(tmp_path / "nowhere"),
        "--submissions",
        str(tmp_path / "none"),
    )
    assert result.exit_code == 1, result.output
    assert f"exercise1: reference: missing reference {tmp_path / 'nowhere' / SQUEEZE}" in (
        result.output
    )
    assert "exercise1: corpus: 0 correct alternatives" in result.output


def test_unknown_id_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    result = run_verify(private_folder(tmp_path), monkeypatch, "exercise77")
    assert result.exit_code == 2 and "Try 'grade list'." in result.output, result.output


def test_entry_shortfalls_name_each_gap(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        """
[[exercises]]
id = "exercise1"
file = "exercise01_x.py"
api = ["f"]
concepts = []
title = { en = " " }
hints.en = ["fine", ""]
hints.fr = ["bien"]
[exercises.checks.zero]
points = 0
title = { zh = "零" }
[exercises.mistakes]
only_zh = { zh = "只有中文" }
"""
    )
    (exercise,) = catalog.load(path)
    found = {s.message for s in entry_shortfalls(exercise)}
    assert found == {
        "an empty hint in hints.en",
        "hints in unknown language 'fr' (known: ('en', 'zh'))",
        "no English title",
        "no concepts",
        "check 'zero' has 0 points (needs more than 0)",
        "check 'zero' has no English title",
        "mistake 'only_zh' has no English text",
    }


def test_check_module_must_define_exactly_the_catalog_checks(tmp_path: Path) -> None:
    exercise = catalog.load(ROOT / "grader" / "catalog.toml")[0]
    module = (ROOT / "grader" / "checks" / SQUEEZE).read_text()
    module = module.replace('@check("add_batch_dim_view"', '@check("add_batch_dim_copy"')
    module += "\n\ndef test_unmarked(learner):\n    assert learner\n"
    (tmp_path / SQUEEZE).write_text(module)
    words = Path(SQUEEZE).with_suffix(".toml")  # the module's messages travel with it
    if (ROOT / "grader" / "checks" / words).is_file():
        (tmp_path / words).write_bytes((ROOT / "grader" / "checks" / words).read_bytes())
    found = {s.message for s in checks_shortfalls(exercise, tmp_path)}
    assert found == {
        "catalog check 'add_batch_dim_view' has no @check in exercise01_squeeze.py",
        "@check('add_batch_dim_copy') is not in the catalog (it would score nothing)",
        "5 test_ functions but 4 @check markers",
    }
    assert checks_shortfalls(exercise, ROOT / "grader" / "checks") == []


def test_expectation_reads_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text("# expect: error reason=timeout timeout=3\nwhile True: pass\n")
    assert expectation(path) == ("error", {"reason": "timeout", "timeout": "3"})
    path.write_text("x = 1\n")
    assert expectation(path) is None


def test_a_malformed_catalog_fails_with_its_message(tmp_path: Path, monkeypatch) -> None:
    text = (
        (ROOT / "grader" / "catalog.toml").read_text().replace('file = "exercise01', 'fil = "x', 1)
    )
    result = run_verify(private_folder(tmp_path, text), monkeypatch)
    assert result.exit_code == 1 and "missing field 'file'" in result.output, result.output


def test_checks_skipped_everywhere_are_noted_not_passed() -> None:
    exercise = catalog.find("exercise1")
    skipped = {"name": "two_gpus", "status": "skipped", "message": "skipped: needs 2 GPUs"}
    ran = {"name": "shape", "status": "passed", "message": ""}
    cuda = {"name": "shape", "status": "skipped", "message": "skipped: no CUDA device"}
    notes = _never_ran(exercise, {"checks": [skipped, ran, cuda]})
    assert notes == [
        "exercise1: check two_gpus was skipped on every device (skipped: needs 2 GPUs): "
        "not verified on this machine"
    ]
