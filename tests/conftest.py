"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.sandbox import zygote

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"

# The fork server must exist before this process computes anything with torch (see zygote.py).
zygote.get()


@pytest.fixture
def workspace(tmp_path: Path):
    """An empty learner workspace; `put(exercise, source_path_or_text)` fills it."""

    def put(exercise_file: str, source: Path | str) -> Path:
        target = tmp_path / exercise_file
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        else:
            target.write_text(source)
        return tmp_path

    put.path = tmp_path
    return put
