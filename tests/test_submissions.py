"""Every file of the submission corpus gets the verdict its first line promises.

Each `tests/submissions/exerciseN/*.py` starts with a line such as
`# expect: passed`, `# expect: failed mistake=copy_not_view` or `# expect: error reason=timeout`:
alternative correct solutions must pass, each realistic mistake must fail with its named
diagnosis.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import catalog, verify
from grader.options import DEFAULT_EXAMPLES, THOROUGH_EXAMPLES
from grader.run import RunOptions, grade
from grader.sandbox.limits import Limits

SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def corpus() -> list[Path]:
    return sorted(SUBMISSIONS.glob("exercise*/*.py"))


def expectation(path: Path) -> tuple[str, dict[str, str]]:
    found = verify.expectation(path)
    assert found, f"{path}: first line must be '# expect: STATUS [key=value ...]'"
    return found


@pytest.mark.parametrize("path", corpus(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_submission_gets_expected_verdict(path: Path, workspace) -> None:
    exercise = catalog.find(path.parent.name)
    status, details = expectation(path)
    folder = workspace(exercise.file, path)
    timeout = float(details.get("timeout", 30))
    run = grade(
        RunOptions(
            workspace=folder,
            exercises=(exercise,),
            device="cpu",
            seed=0,
            limits=Limits(call_seconds=min(5.0, timeout), exercise_seconds=timeout),
        )
    )
    result = run.exercises[0]
    summary = [(c.name, c.status, c.mistake, c.message[:300]) for c in result.checks]
    assert result.status == status, (result.reason, summary)
    if "mistake" in details:
        assert details["mistake"] in exercise.mistakes, f"unknown mistake id {details['mistake']!r}"
        mistakes = {c.mistake for c in result.checks if c.status == "failed"}
        assert details["mistake"] in mistakes, summary
        assert any(c.diagnosis == exercise.mistake(details["mistake"]) for c in result.checks)
    if "reason" in details:
        assert result.reason.startswith(details["reason"]), result.reason
    if status == "failed":
        assert result.score < result.max_score


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


def failed_checks(folder: Path, exercise: catalog.Exercise, examples: int) -> set[str]:
    run = grade(
        RunOptions(workspace=folder, exercises=(exercise,), device="cpu", max_examples=examples)
    )
    return {f"{c.name}:{c.mistake}" for c in run.exercises[0].checks if c.status == "failed"}


@pytest.mark.parametrize("path", first_mistakes(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_thorough_profile_finds_the_same_mistakes_and_more(path: Path, workspace) -> None:
    exercise = catalog.find(path.parent.name)
    folder = workspace(exercise.file, path)
    quick = failed_checks(folder, exercise, DEFAULT_EXAMPLES)
    thorough = failed_checks(folder, exercise, THOROUGH_EXAMPLES)
    assert quick, f"{path.name} passed the default profile"
    assert quick <= thorough, (quick, thorough)
    assert any(f.endswith(":" + expectation(path)[1]["mistake"]) for f in thorough), thorough


def test_references_pass_the_thorough_profile() -> None:
    run = grade(
        RunOptions(
            workspace=SUBMISSIONS.parent.parent / "solutions",
            exercises=catalog.exercises(),
            device="cpu",
            max_examples=THOROUGH_EXAMPLES,
            jobs=2,
        )
    )
    failing = {
        e.id: e.reason or [c.name for c in e.checks if c.status != "passed"]
        for e in run.exercises
        if e.status != "passed"
    }
    assert not failing, failing
