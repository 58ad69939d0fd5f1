"""Advice that works: each 'advice applied' sibling in the corpus is a named mistake, fixed as told.

`tests/submissions/exerciseN/alt_advice_<mistake>[__<which>].py` is a mistake file of the corpus with its
diagnosis applied literally; tests/test_submissions.py grades it, and it must pass. Here: that
every such sibling belongs to a named mistake that the corpus also holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import catalog
from grader.instructor import verify

SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
SIBLINGS = sorted(SUBMISSIONS.glob("exercise*/alt_advice_*.py"))


def test_the_corpus_holds_advice_siblings() -> None:
    assert len(SIBLINGS) >= 4


@pytest.mark.parametrize("path", SIBLINGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_advice_sibling_applies_the_diagnosis_of_a_corpus_mistake(path: Path) -> None:
    exercise = catalog.find(path.parent.name)
    # alt_advice_<mistake>.py, or alt_advice_<mistake>__<which>.py when several files show it
    mistake = path.stem.removeprefix("alt_advice_").split("__")[0]
    assert mistake in exercise.mistakes, f"{path.name}: {mistake!r} is not a named mistake"
    status, _ = verify.expectation(path)
    assert status == "passed", path.name
    mistaken = [
        p
        for p in path.parent.glob("mistake_*.py")
        if verify.expectation(p)[1].get("mistake") == mistake
    ]
    assert mistaken, f"{path.name}: no corpus file shows the mistake {mistake!r}"
    named = path.read_text(encoding="utf-8").splitlines()[1]
    assert any(p.name in named for p in mistaken), f"{path.name}: line 2 names the file it fixes"


# Named mistakes of the corpus whose diagnosis gives no concrete change to apply, and why:
# (exercise id, mistake id) -> the reason. Every other corpus mistake has an advice sibling.
NO_ADVICE: dict[tuple[str, str], str] = {}


def corpus_mistakes() -> dict[tuple[str, str], list[str]]:
    """(exercise id, mistake id) -> the corpus files that show it."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SUBMISSIONS.glob("exercise*/*.py")):
        mistake = (verify.expectation(path) or ("", {}))[1].get("mistake")
        if mistake:
            found.setdefault((path.parent.name, mistake), []).append(path.name)
    return found


def advised() -> set[tuple[str, str]]:
    return {(p.parent.name, p.stem.removeprefix("alt_advice_").split("__")[0]) for p in SIBLINGS}


def test_every_corpus_mistake_has_an_advice_sibling_or_a_reason_why_not() -> None:
    missing = {
        key: files
        for key, files in corpus_mistakes().items()
        if key not in advised() and key not in NO_ADVICE
    }
    assert not missing, f"add alt_advice_<mistake>.py (or a reason in NO_ADVICE): {missing}"


def test_the_advice_exemptions_are_current() -> None:
    mistakes = corpus_mistakes()
    stale = [key for key in NO_ADVICE if key not in mistakes or key in advised()]
    assert not stale, f"in NO_ADVICE but not in the corpus, or advised after all: {stale}"
    assert all(reason.strip() for reason in NO_ADVICE.values())
