"""Deadlines from commit times: a student's git checkout says when their files were committed,
read without running anything the student's repository configures."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import catalog
from grader.classroom.commits import committed_at, repository
from grader.classroom.gradebook import csv_rows
from grader.classroom.model import ClassOptions, ClassResult, Student
from grader.classroom.policy import PolicyError, grade_of, load
from grader.results import ExerciseResult, RunResult

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

EX1 = "exercise01_squeeze.py"
DUE = dt.datetime(2026, 5, 1, 23, 59, tzinfo=dt.timezone.utc)
HOUR = dt.timedelta(hours=1)


def git(repo: Path, *args: str, when: dt.datetime | None = None, data: bytes = b"") -> str:
    """Run git in the test's own repository (never the instructor's configuration)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env |= {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    identity = ["-c", "user.name=Student", "-c", "user.email=s@example.org"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=repo, env=env, check=True, capture_output=True, input=data
    )
    return done.stdout.decode()


def commit(repo: Path, files: dict[str, str], when: dt.datetime) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "--", *files)
    git(repo, "commit", "-q", "-m", "work", when=when)


def checkout(root: Path, name: str) -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    return repo


def touch_now(*paths: Path) -> None:
    """What a fresh `git clone` does to file times: they are all 'now'."""
    for path in paths:
        os.utime(path, None)


SIGNATURE = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAd\n -----END PGP SIGNATURE-----"
HOSTILE_CONFIG = """\
[core]
\tpager = touch {marker}.pager
\tfsmonitor = touch {marker}.fsmonitor
\thooksPath = {hooks}
[log]
\tshowSignature = true
[gpg]
\tprogram = {hooks}/sign
[include]
\tpath = {hooks}/more.config
"""


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout whose configuration and hooks try to run programs; the marker they'd write."""
    repo = checkout(tmp_path / "class", "mal")
    commit(repo, {f"exercises/{EX1}": "x = 1\n"}, DUE - HOUR)
    # A signed-looking commit: `git log` with log.showSignature runs gpg.program to check it.
    head, body = git(repo, "cat-file", "commit", "HEAD").split("\n\n", 1)
    signed = f"{head}\n{SIGNATURE}\n\n{body}".encode()
    sha = git(repo, "hash-object", "-t", "commit", "-w", "--stdin", data=signed).strip()
    git(repo, "update-ref", "HEAD", sha)
    marker, hooks = tmp_path / "ran", repo / ".git" / "evil"
    hooks.mkdir()
    for hook in ("sign", "post-checkout", "pre-commit", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {marker}.{hook}\n")
        (hooks / hook).chmod(0o755)
    (hooks / "more.config").write_text(f"[core]\n\tsshCommand = touch {marker}.ssh\n")
    config = HOSTILE_CONFIG.format(marker=marker, hooks=hooks)
    (repo / ".git" / "config").write_text((repo / ".git" / "config").read_text() + config)
    return repo, marker


def test_the_last_commit_touching_the_files_is_the_submission_time(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "class", "ann")
    commit(repo, {EX1: "x = 1\n"}, DUE - 2 * HOUR)
    commit(repo, {EX1: "x = 2\n"}, DUE - HOUR)
    commit(repo, {"README.md": "notes\n"}, DUE + 72 * HOUR)  # not one of the graded files
    touch_now(repo / EX1)
    assert committed_at([repo / EX1], repo, repo) == (DUE - HOUR).timestamp()


def test_a_file_changed_after_its_last_commit_counts_with_its_own_time(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "class", "ben")
    commit(repo, {EX1: "x = 1\n", "helpers.py": "y = 1\n"}, DUE - HOUR)
    (repo / "helpers.py").write_text("y = 2\n")  # edited, never committed
    later = (DUE + 50 * HOUR).timestamp()
    os.utime(repo / "helpers.py", (later, later))
    touch_now(repo / EX1)
    os.utime(repo / EX1, ((DUE - 3 * HOUR).timestamp(),) * 2)
    assert committed_at([repo / EX1, repo / "helpers.py"], repo, repo) == later


def test_no_checkout_or_a_git_file_means_no_commit_time(tmp_path: Path) -> None:
    plain = tmp_path / "class" / "cat"
    plain.mkdir(parents=True)
    (plain / EX1).write_text("x = 1\n")
    assert committed_at([plain / EX1], plain, plain) is None
    (plain / ".git").write_text("gitdir: /somewhere/else\n")  # a worktree pointer: not followed
    assert repository(plain, plain) is None
    # The submissions folder's own repository (the instructor's) is never the student's.
    outer = checkout(tmp_path, "course")
    inner = outer / "students" / "dan"
    inner.mkdir(parents=True)
    assert repository(inner, inner) is None and repository(inner, outer) == outer / ".git"


def test_the_students_config_hooks_and_pager_are_never_run(hostile) -> None:
    repo, marker = hostile
    folder = repo / "exercises"
    touch_now(folder / EX1)
    git(repo, "log", "-1", "--format=%ct", "--", f"exercises/{EX1}")  # git as usually run
    assert (marker.parent / f"{marker.name}.sign").exists()  # the repository is hostile
    (marker.parent / f"{marker.name}.sign").unlink()
    assert committed_at([folder / EX1], folder, repo) == (DUE - HOUR).timestamp()
    assert sorted(p.name for p in marker.parent.glob(f"{marker.name}.*")) == []
    assert not (repo / ".git" / "index.lock").exists()


def run(score: float) -> RunResult:
    return RunResult(
        exercises=[ExerciseResult("exercise1", "Shapes", "passed", "", score, 6)], devices=["cpu"]
    )


def test_commit_time_deadlines_in_the_gradebook(tmp_path: Path) -> None:
    submissions = tmp_path / "class"
    on_time = checkout(submissions, "ann")  # cloned after the deadline: file times say late
    commit(on_time, {f"exercises/{EX1}": "x = 1\n"}, DUE - HOUR)
    late = checkout(submissions, "ben")
    commit(late, {EX1: "x = 1\n"}, DUE + 30 * HOUR)
    plain = submissions / "cat"  # no checkout: its file times are used
    plain.mkdir()
    (plain / EX1).write_text("x = 1\n")
    os.utime(plain / EX1, ((DUE - HOUR).timestamp(),) * 2)
    touch_now(on_time / "exercises" / EX1, late / EX1)
    students = [
        Student("ann", "", run(6), folder=on_time / "exercises"),
        Student("ben", "", run(6), folder=late),
        Student("cat", "", run(6), folder=plain),
    ]
    rules = tmp_path / "deadlines.toml"
    rules.write_text(
        'due = 2026-05-01T23:59:00Z\npenalty_per_day = 10\nsubmission_time = "commit"\n'
    )
    options = ClassOptions(submissions, tmp_path / "out", (catalog.find("exercise1"),))
    result = ClassResult(options, students, load(None, rules))
    grades = {s.id: grade_of(s, result, result.policy) for s in students}
    assert (grades["ann"].late_days, grades["ann"].submitted_by) == (0, "commit")
    assert (grades["ben"].late_days, grades["ben"].submitted_by) == (2, "commit")
    assert grades["ben"].total == pytest.approx(6 * 0.8)
    assert "last commit 2026-05-03T05:59:00Z" in grades["ben"].notes[0]
    assert (grades["cat"].late_days, grades["cat"].submitted_by) == (0, "file")
    header, _, *rows = csv_rows(result)
    column = header.index("submitted")
    assert [r[column] for r in rows] == [
        "2026-05-01T22:59:00Z (commit)",
        "2026-05-03T05:59:00Z (commit)",
        "2026-05-01T22:59:00Z (file)",
    ]
    # The same class with file times: the fresh clone of ann's repository reads as late.
    rules.write_text("due = 2026-05-01T23:59:00Z\npenalty_per_day = 10\n")
    by_files = ClassResult(options, students, load(None, rules))
    assert grade_of(students[0], by_files, by_files.policy).late_days > 0


def test_an_unknown_submission_time_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "d.toml").write_text('due = 2026-05-01T23:59:00Z\nsubmission_time = "push"\n')
    with pytest.raises(PolicyError, match="submission_time"):
        load(None, tmp_path / "d.toml")
