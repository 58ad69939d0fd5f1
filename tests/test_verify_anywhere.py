"""`grade verify` reads the project's folders wherever it is typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import cli
from grader.instructor.verify import default_folders, project_folder

ROOT = Path(__file__).resolve().parent.parent


def test_the_project_is_found_from_any_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GRADE_CHECKS", raising=False)
    monkeypatch.chdir(tmp_path)
    assert project_folder(tmp_path) == ROOT
    assert default_folders(project_folder(tmp_path)).solutions == ROOT / "solutions"


@pytest.mark.slow
def test_verify_outside_the_project_has_no_false_shortfalls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GRADE_CHECKS", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["verify", "exercise1", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "all is well" in result.output
