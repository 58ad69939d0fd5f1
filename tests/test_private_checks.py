"""`grade --checks DIR`: an instructor's own catalog, checks and probes replace the shipped ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from grader.cli import cli
from grader.sandbox import isolation

ROOT = Path(__file__).resolve().parent.parent


def private_folder(tmp_path: Path) -> Path:
    root = tmp_path / "private"
    (root / "checks").mkdir(parents=True)
    (root / "probes").mkdir()
    catalog = (ROOT / "grader" / "catalog.toml").read_text().replace("points = 2", "points = 5")
    (root / "catalog.toml").write_text(catalog)
    shutil.copy(ROOT / "grader" / "checks" / "exercise01_squeeze.py", root / "checks")
    probes = (ROOT / "grader" / "probes" / "exercise01_squeeze.py").read_text()
    (root / "probes" / "exercise01_squeeze.py").write_text(probes + "\nPRIVATE_MARKER = 1\n")
    return root


def test_private_catalog_and_checks_are_used(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GRADE_CHECKS", "")  # restored (unset) after the test
    root = private_folder(tmp_path)
    result = CliRunner().invoke(
        cli,
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
    monkeypatch.setenv("GRADE_CHECKS", "")  # restored (unset) after the test
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
    return batch.squeeze(0)
"""
    (workspace / "exercise01_squeeze.py").write_text(peek)
    result = CliRunner().invoke(
        cli,
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
    checks = json.loads(result.output)["exercises"][0]["checks"]
    saw = any("saw the private checks" in c["message"] for c in checks)
    assert saw is not isolation.available()[0]


def test_incomplete_private_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--checks", str(tmp_path), "list"])
    assert result.exit_code == 2, result.output
    assert "catalog.toml" in result.output
