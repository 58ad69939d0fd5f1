"""Every file of the submission corpus gets the verdict its first line promises.

Each `tests/submissions/exerciseN/*.py` starts with a line such as
`# expect: passed`, `# expect: failed mistake=copy_not_view` or `# expect: error reason=timeout`:
alternative correct solutions must pass, each realistic mistake must fail with its named
diagnosis.

Grading one file at a time took most of the suite's time, so each exercise's folder is graded
once, in parallel jobs, the first time one of its files is asked about; each file is still its
own test. The time limits are `grade verify`'s own (`verify.corpus_limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader import catalog
from grader.catalog import Exercise
from grader.cli.options import DEFAULT_EXAMPLES, THOROUGH_EXAMPLES
from grader.engine.jobs import run_in_jobs
from grader.engine.run import RunOptions, grade
from grader.instructor import verify
from grader.sandbox import zygote

SUBMISSIONS = Path(__file__).resolve().parent / "submissions"

Verdict = dict  # an exercise's verdict as plain data: it comes back from a forked job as JSON


def corpus() -> list[Path]:
    return sorted(SUBMISSIONS.glob("exercise*/*.py"))


def expectation(path: Path) -> tuple[str, dict[str, str]]:
    found = verify.expectation(path)
    assert found, f"{path}: first line must be '# expect: STATUS [key=value ...]'"
    return found


def shared_server() -> zygote.Zygote:
    """The session's fork server: the grading jobs share it (each would start its own, and
    import torch again, seconds of CPU for every job of every folder)."""
    return zygote.get(catalog.preloads())


def verdict(workspace: Path, exercise: Exercise, **options: object) -> Verdict:
    """Grade `exercise` in `workspace` on the CPU; what the assertions need, as plain data."""
    run = grade(
        RunOptions(
            workspace=workspace,
            exercises=(exercise,),
            device="cpu",
            server=shared_server(),
            **options,
        )
    )
    result = run.exercises[0]
    return {
        "status": result.status,
        "reason": result.reason,
        "score": result.score,
        "max_score": result.max_score,
        "checks": [
            {
                "name": c.name,
                "status": c.status,
                "mistake": c.mistake,
                "diagnosis": c.diagnosis,
                "message": c.message[:300],
            }
            for c in result.checks
        ],
    }


def in_workspace(root: Path, exercise: Exercise, path: Path) -> Path:
    """A workspace of its own holding `path` as the exercise's file."""
    workspace = root / path.stem
    workspace.mkdir(parents=True)
    (workspace / exercise.file).write_bytes(path.read_bytes())
    return workspace


@pytest.fixture(scope="module")
def folder_verdicts(
    tmp_path_factory: pytest.TempPathFactory, grading_jobs: int
) -> Callable[[Exercise], dict[str, Verdict | None]]:
    """Verdicts of every file of an exercise's corpus folder, graded together once."""
    graded: dict[str, dict[str, Verdict | None]] = {}

    def verdicts(exercise: Exercise) -> dict[str, Verdict | None]:
        if exercise.id not in graded:
            root = tmp_path_factory.mktemp(exercise.id)
            files = {p.name: p for p in sorted((SUBMISSIONS / exercise.id).glob("*.py"))}

            def work(name: str) -> Verdict:
                limits = verify.corpus_limits(expectation(files[name])[1])
                workspace = in_workspace(root, exercise, files[name])
                return verdict(
                    workspace, exercise, seed=0, limits=limits, max_examples=DEFAULT_EXAMPLES
                )

            graded[exercise.id] = run_in_jobs(
                list(files), work, grading_jobs, server=shared_server()
            )
        return graded[exercise.id]

    return verdicts


@pytest.mark.slow
@pytest.mark.parametrize("path", corpus(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_submission_gets_expected_verdict(path: Path, folder_verdicts) -> None:
    exercise = catalog.find(path.parent.name)
    status, details = expectation(path)
    result = folder_verdicts(exercise)[path.name]
    assert result is not None, "the grading job died"
    summary = [(c["name"], c["status"], c["mistake"], c["message"]) for c in result["checks"]]
    assert result["status"] == status, (result["reason"], summary)
    if "mistake" in details:
        assert details["mistake"] in exercise.mistakes, f"unknown mistake id {details['mistake']!r}"
        mistakes = {c["mistake"] for c in result["checks"] if c["status"] == "failed"}
        assert details["mistake"] in mistakes, summary
        diagnosis = exercise.mistake(details["mistake"])
        assert any(c["diagnosis"] == diagnosis for c in result["checks"]), summary
    if "reason" in details:
        assert result["reason"].startswith(details["reason"]), result["reason"]
    if status == "failed":
        assert result["score"] < result["max_score"]


def test_corpus_covers_every_exercise() -> None:
    for exercise in catalog.exercises():
        files = list((SUBMISSIONS / exercise.id).glob("*.py"))
        statuses = [expectation(f)[0] for f in files]
        assert statuses.count("passed") >= 2, (
            f"{exercise.id}: needs 2 alternative correct solutions"
        )
        named = [f for f in files if "mistake" in expectation(f)[1]]
        assert len(named) >= 4, f"{exercise.id}: needs 4 realistic mistakes with named diagnoses"


def first_mistakes() -> list[Path]:
    """One named mistake per exercise (the first by name), to run under both example budgets."""
    chosen = {}
    for path in corpus():
        if "mistake" in expectation(path)[1]:
            chosen.setdefault(path.parent.name, path)
    return list(chosen.values())


@pytest.fixture(scope="module")
def profile_verdicts(
    tmp_path_factory: pytest.TempPathFactory, grading_jobs: int, folder_verdicts
) -> dict[str, Verdict | None]:
    """Each first mistake under the default budget (the corpus's own verdict: the same seed and
    budget) and under the thorough one (graded here, in parallel)."""
    root = tmp_path_factory.mktemp("profiles")
    paths = {f"{p.parent.name}/{p.name}": p for p in first_mistakes()}

    def work(key: str) -> Verdict:
        path = paths[key]
        exercise = catalog.find(path.parent.name)
        workspace = in_workspace(root / path.parent.name, exercise, path)
        return verdict(workspace, exercise, seed=0, max_examples=THOROUGH_EXAMPLES)

    thorough = run_in_jobs(list(paths), work, grading_jobs, server=shared_server())
    found: dict[str, Verdict | None] = {}
    for key, path in paths.items():
        found[f"{DEFAULT_EXAMPLES}:{key}"] = folder_verdicts(catalog.find(path.parent.name))[
            path.name
        ]
        found[f"{THOROUGH_EXAMPLES}:{key}"] = thorough[key]
    return found


def failed_checks(result: Verdict | None) -> set[str]:
    assert result is not None, "the grading job died"
    return {f"{c['name']}:{c['mistake']}" for c in result["checks"] if c["status"] == "failed"}


@pytest.mark.slow
@pytest.mark.parametrize("path", first_mistakes(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_thorough_profile_finds_the_same_mistakes_and_more(path: Path, profile_verdicts) -> None:
    key = f"{path.parent.name}/{path.name}"
    quick = failed_checks(profile_verdicts[f"{DEFAULT_EXAMPLES}:{key}"])
    thorough = failed_checks(profile_verdicts[f"{THOROUGH_EXAMPLES}:{key}"])
    assert quick, f"{path.name} passed the default profile"
    assert quick <= thorough, (quick, thorough)
    assert any(f.endswith(":" + expectation(path)[1]["mistake"]) for f in thorough), thorough


# The references under the thorough profile: tests/test_memory_budget.py (one run, which also
# shows that it fits Gradescope's default container).
