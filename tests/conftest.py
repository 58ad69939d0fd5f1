"""Shared fixtures for the project's own tests."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from grader import catalog
from grader.sandbox import zygote

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"

# A stand-in for a CI secret: no learner code, output or report may ever show it.
os.environ.setdefault("GRADER_TEST_SECRET", "s3cr3t-" + os.urandom(8).hex())
# Computed quiz keys are cached per test session, never in the home of whoever runs the tests.
if "GRADE_CACHE_DIR" not in os.environ:
    os.environ["GRADE_CACHE_DIR"] = tempfile.mkdtemp(prefix="grade-test-cache-")
    atexit.register(shutil.rmtree, os.environ["GRADE_CACHE_DIR"], True)


def pytest_configure(config: pytest.Config) -> None:
    """Start the shared fork server (torch, torchvision) while tests are collected.

    Not in pytest-xdist's controller: it runs no test, and its server would only take a core
    from the workers while they start.
    """
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    zygote.get(catalog.preloads())


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


@pytest.fixture(scope="session")
def grading_jobs() -> int:
    """Parallel gradings for the corpus and reference tests: one per core, at least two.

    A grading waits on its worker (and the worker on it) much of the time, so two overlap
    even on one core.
    """
    return max(2, os.cpu_count() or 1)
