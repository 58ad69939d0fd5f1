"""`plugin.classify` and `plugin.example_from_notes`: how a check's exception becomes a verdict.

The example is parsed from hypothesis's human-readable notes, whose wording changes between
versions, so these tests let the installed hypothesis write the notes they parse.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checking import CheckFailure
from grader.engine.plugin import classify, example_from_notes
from grader.sandbox.proxy import BadAnswer, LearnerRaised, NotImplementedYet, WorkerLost


def raised_by_hypothesis(error: BaseException) -> BaseException:
    """`error`, raised from a real hypothesis test with the grader's fixtures among its arguments."""

    @settings(database=None, derandomize=True, max_examples=50)
    @given(size=st.integers(min_value=0, max_value=100), name=st.text(max_size=3))
    def check(learner: object, device: str, size: int, name: str) -> None:
        if size >= 3:
            raise error

    with pytest.raises(type(error)) as caught:
        check(learner=object(), device="cpu")
    return caught.value


def test_example_from_notes_reads_the_shrunk_example_of_this_hypothesis_version() -> None:
    error = raised_by_hypothesis(AssertionError("wrong"))
    assert error.__notes__, "hypothesis attached no notes: nothing was parsed"
    example = example_from_notes(error)
    lines = example.splitlines()
    assert lines[0] == "size = 3", example  # shrunk to the smallest failing size
    assert lines[1].startswith("name = ''"), example
    assert len(lines) == 2, example


def test_example_from_notes_leaves_out_the_grader_fixtures() -> None:
    example = example_from_notes(raised_by_hypothesis(AssertionError("wrong")))
    assert "learner" not in example and "device" not in example, example
    assert "object at 0x" not in example, example


def test_example_from_notes_reads_a_tensor_argument() -> None:
    @settings(database=None, derandomize=True, max_examples=50)
    @given(values=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=4))
    def check(learner: object, values: list[int]) -> None:
        assert torch.tensor(values).sum() < 5

    with pytest.raises(AssertionError) as caught:
        check(learner=object())
    assert example_from_notes(caught.value) == "values = [5]"


def test_example_from_notes_accepts_the_older_wording() -> None:
    error = AssertionError("wrong")
    error.add_note("Falsifying example: test_it(\n    learner=<Learner>,\n    size=3,\n)")
    assert example_from_notes(error) == "size = 3"


def test_example_from_notes_is_empty_without_a_hypothesis_note() -> None:
    error = AssertionError("wrong")
    assert example_from_notes(error) == ""
    error.add_note("some other note: x=1")
    assert example_from_notes(error) == ""


def test_a_check_failure_is_failed_with_its_mistake_and_own_example() -> None:
    failure = CheckFailure("expected 2, got 3", mistake="off_by_one", example={"n": 1})
    status, message, mistake, example, line = classify(failure)
    assert (status, message, mistake, line) == ("failed", "expected 2, got 3", "off_by_one", None)
    assert example == "n = 1"


def test_a_check_failure_without_an_example_takes_hypothesis_s() -> None:
    error = raised_by_hypothesis(CheckFailure("expected 2, got 3"))
    status, _, mistake, example, _ = classify(error)
    assert (status, mistake) == ("failed", "")
    assert example.splitlines()[0] == "size = 3", example


def test_a_learner_exception_is_failed_and_names_its_type_and_line() -> None:
    info = {"type": "ValueError", "bases": ["Exception"], "message": "bad shape", "line": 12}
    error = raised_by_hypothesis(LearnerRaised(info))
    status, message, mistake, example, line = classify(error)
    assert status == "failed" and mistake == ""
    assert message == "your code raised ValueError: bad shape (line 12)"
    assert line == 12
    assert example.splitlines()[0] == "size = 3", example


def test_a_lost_worker_is_an_error_with_its_reason() -> None:
    status, message, _, _, line = classify(WorkerLost("timeout", "took longer than 5 s"))
    assert (status, message, line) == ("error", "timeout: took longer than 5 s", None)


def test_a_stub_that_still_raises_is_failed_as_not_implemented() -> None:
    status, message, *_ = classify(NotImplementedYet())
    assert status == "failed" and message.startswith("not implemented yet")


def test_an_unreadable_answer_is_failed_and_says_so() -> None:
    status, message, *_ = classify(BadAnswer("a 3-deep list where a tensor belongs"))
    assert status == "failed"
    assert message == (
        "the answer could not be read as plain data: a 3-deep list where a tensor belongs"
    )


def test_a_plain_assertion_is_failed_with_its_text_or_a_default() -> None:
    assert classify(AssertionError("shapes differ"))[:2] == ("failed", "shapes differ")
    assert classify(AssertionError())[:2] == ("failed", "assertion failed")


@pytest.mark.parametrize("error", [KeyError("weight"), TypeError("bad"), ZeroDivisionError()])
def test_any_other_exception_is_a_bug_of_the_check_not_of_the_learner(
    error: Exception,
) -> None:
    status, message, mistake, _, _ = classify(error)
    assert status == "error" and mistake == ""
    assert message.startswith(f"internal: the check itself failed ({type(error).__name__}")
