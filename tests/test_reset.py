"""`grade reset`: the pristine stub comes back and the learner's file is kept as a backup."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader import catalog, course, progress
from grader import reset as resetting
from grader.cli.instructor import reset
from grader.course import STUBS_DIR
from grader.reset import backup_path
from grader.reset import reset as reset_exercise
from grader.results import ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent
SQUEEZE = "exercise01_squeeze.py"


@click.group()
def group() -> None:
    """A stand-in for the `grade` group."""


group.add_command(reset)


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(group, list(args), input=input)


@pytest.mark.parametrize("exercise", catalog.exercises(), ids=lambda e: e.id)
def test_shipped_stub_is_the_exercise_file(exercise: catalog.Exercise) -> None:
    learner = ROOT / "exercises" / exercise.file
    assert learner.is_file(), f"no stub {learner}"
    assert (STUBS_DIR / exercise.file).read_bytes() == learner.read_bytes(), (
        "grader/stubs is out of date: run scripts/sync-stubs"
    )


def workspace_with(tmp_path: Path, text: str) -> Path:
    workspace = tmp_path / "exercises"
    workspace.mkdir()
    (workspace / SQUEEZE).write_text(text)
    return workspace


def test_reset_restores_the_stub_and_prints_the_backup(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "def add_batch_dim(image):\n    return image[None]\n")
    verdict = ExerciseResult(id="exercise1", title="t", status="passed", score=6, max_score=6)
    progress.remember(workspace, RunResult(exercises=[verdict]))
    progress.set_hint_level(workspace, "exercise1", 2)
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    assert (workspace / SQUEEZE).read_bytes() == (STUBS_DIR / SQUEEZE).read_bytes()
    backups = list((workspace / ".grade" / "backups").glob("exercise01_squeeze.*.py"))
    assert len(backups) == 1 and backups[0].read_text().endswith("return image[None]\n")
    assert str(backups[0]) in result.output
    last = progress.last_run(workspace)
    assert last is not None and not last.exercises, "the old verdict should be forgotten"
    assert progress.hint_level(workspace, "exercise1") == 0


def test_an_untouched_stub_needs_no_backup_and_a_missing_file_comes_back(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, (STUBS_DIR / SQUEEZE).read_text())
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0 and "already" in result.output, result.output
    assert not (workspace / ".grade" / "backups").exists()
    (workspace / SQUEEZE).unlink()
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0 and "back to its stub" in result.output, result.output
    assert (workspace / SQUEEZE).read_bytes() == (STUBS_DIR / SQUEEZE).read_bytes()


def test_resets_in_the_same_second_keep_every_backup(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "first = 1\n")
    exercise = catalog.find("exercise1")
    _, first = reset_exercise(workspace, exercise, now=1_700_000_000)
    (workspace / SQUEEZE).write_text("second = 2\n")
    _, second = reset_exercise(workspace, exercise, now=1_700_000_000)
    assert first != second and first.read_text() == "first = 1\n"
    assert second.read_text() == "second = 2\n"
    assert backup_path(workspace, exercise, now=1_700_000_000) not in (first, second)


def test_reset_all_asks_first(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "mine = 1\n")
    result = invoke("reset", "all", "--workspace", str(workspace), input="n\n")
    assert result.exit_code == 1 and "Reset all" in result.output, result.output
    assert (workspace / SQUEEZE).read_text() == "mine = 1\n"
    result = invoke("reset", "all", "--workspace", str(workspace), "--yes")
    assert result.exit_code == 0, result.output
    for exercise in catalog.exercises():
        assert (workspace / exercise.file).read_bytes() == (STUBS_DIR / exercise.file).read_bytes()
    assert len(list((workspace / ".grade" / "backups").iterdir())) == 1


def test_unknown_id_is_a_usage_error_with_suggestions(tmp_path: Path) -> None:
    result = invoke("reset", "exercize1", "--workspace", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert "Did you mean 'exercise1'" in result.output and "Try 'grade list'." in result.output


def test_reset_speaks_chinese(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GRADE_LANG", "zh")
    workspace = workspace_with(tmp_path, "mine = 1\n")
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0 and "已恢复为初始练习模板" in result.output, result.output


def test_a_private_folder_stub_is_preferred(tmp_path: Path, monkeypatch) -> None:
    private = tmp_path / "private"
    (private / "stubs").mkdir(parents=True)
    (private / "catalog.toml").write_text((ROOT / "grader" / "catalog.toml").read_text())
    (private / "checks").mkdir()
    (private / "stubs" / SQUEEZE).write_text('"""The instructor\'s own stub."""\n')
    monkeypatch.setattr(course, "_current", course.Course.layered(private))
    workspace = workspace_with(tmp_path, "mine = 1\n")
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    assert "instructor's own stub" in (workspace / SQUEEZE).read_text()


def test_reset_in_chinese_writes_the_chinese_stub(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GRADE_LANG", "zh")
    workspace = workspace_with(tmp_path, (STUBS_DIR / SQUEEZE).read_text())
    result = invoke("reset", "exercise1", "--workspace", str(workspace))
    assert result.exit_code == 0, result.output
    written = (workspace / SQUEEZE).read_text(encoding="utf-8")
    assert written == (STUBS_DIR / "zh" / SQUEEZE).read_text(encoding="utf-8")
    assert "练习 1" in written
    # The untouched English stub held no work: nothing to back up.
    assert not (workspace / ".grade" / "backups").exists()


def test_a_private_folder_without_a_translation_gives_its_english_stub(
    tmp_path: Path, monkeypatch
) -> None:
    private = tmp_path / "private"
    (private / "stubs").mkdir(parents=True)
    (private / "catalog.toml").write_text((ROOT / "grader" / "catalog.toml").read_text())
    (private / "checks").mkdir()
    (private / "stubs" / SQUEEZE).write_text('"""The instructor\'s own stub."""\n')
    monkeypatch.setattr(course, "_current", course.Course.layered(private))
    exercise = catalog.find("exercise1")
    assert resetting.stub_path(exercise, "zh") == private / "stubs" / SQUEEZE
    (private / "stubs" / "zh").mkdir()
    (private / "stubs" / "zh" / SQUEEZE).write_text('"""教师自己的练习模板。"""\n')
    assert resetting.stub_path(exercise, "zh") == private / "stubs" / "zh" / SQUEEZE
    assert resetting.stub_path(exercise, "en") == private / "stubs" / SQUEEZE
