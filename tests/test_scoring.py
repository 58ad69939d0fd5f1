"""`run.score`: records of what each check did become points, titles and diagnoses.

The maximum must be the catalog's on every machine (a check that could not run keeps its share,
extra credit is never part of it), and every catalog check appears exactly once per device.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from grader import catalog
from grader.catalog import CheckSpec, Exercise
from grader.engine.plugin import Record
from grader.engine.run import score
from grader.results import CheckResult

TITLE = {"en": "Shapes", "zh": "形状"}
MISTAKE = {"en": "You squeezed every dimension.", "zh": "你压缩了所有维度。"}


def exercise(*checks: CheckSpec) -> Exercise:
    """Exercise 1 with the given checks and one known mistake."""
    return replace(catalog.find("exercise1"), checks=checks, mistakes={"squeeze_all": MISTAKE})


def total(results: list[CheckResult]) -> tuple[float, float]:
    return sum(r.points for r in results), sum(r.max_points for r in results)


def test_points_are_shared_by_the_devices_a_check_ran_on() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    both = score(ex, [Record("shape", "cpu", "passed"), Record("shape", "cuda", "passed")], "en")
    assert [(r.device, r.points, r.max_points) for r in both] == [
        ("cpu", 2.0, 2.0),
        ("cuda", 2.0, 2.0),
    ]
    half = score(ex, [Record("shape", "cpu", "passed"), Record("shape", "cuda", "failed")], "en")
    assert total(half) == (2.0, 4.0)


def test_a_device_that_was_skipped_costs_nothing_and_gives_nothing() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    results = score(
        ex, [Record("shape", "cpu", "passed"), Record("shape", "cuda", "skipped")], "en"
    )
    assert [(r.status, r.points, r.max_points) for r in results] == [
        ("passed", 4.0, 4.0),
        ("skipped", 0.0, 0.0),
    ]


def test_a_check_skipped_everywhere_keeps_its_maximum_and_earns_nothing() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE), CheckSpec("grad", 2, TITLE))
    records = [
        Record("shape", "cpu", "skipped"),
        Record("shape", "cuda", "skipped"),
        Record("grad", "cpu", "passed"),
    ]
    results = score(ex, records, "en")
    assert total(results) == (2.0, 6.0) and ex.max_score == 6


def test_extra_credit_is_earned_where_it_runs_and_never_part_of_the_maximum() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE), CheckSpec("multi_gpu", 3, TITLE, extra_credit=True))
    ran = score(ex, [Record("shape", "cpu", "passed"), Record("multi_gpu", "cuda", "passed")], "en")
    assert total(ran) == (7.0, 4.0)
    skipped = score(
        ex, [Record("shape", "cpu", "passed"), Record("multi_gpu", "cuda", "skipped")], "en"
    )
    assert total(skipped) == (4.0, 4.0)


def test_a_catalog_check_that_did_not_run_is_an_internal_error() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE), CheckSpec("grad", 2, TITLE))
    results = score(ex, [Record("shape", "cpu", "passed")], "en")
    missing = results[-1]
    assert (missing.name, missing.device, missing.status) == ("grad", "any", "error")
    assert missing.message == "internal: this check did not run"
    assert total(results) == (4.0, 6.0)


def test_a_record_of_a_check_outside_the_catalog_is_an_internal_error_worth_nothing() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    results = score(ex, [Record("shape", "cpu", "passed"), Record("bonus", "cpu", "passed")], "en")
    stray = results[-1]
    assert (stray.name, stray.status, stray.points, stray.max_points) == (
        "bonus",
        "error",
        0.0,
        0.0,
    )
    assert stray.message == "internal: check 'bonus' is not in the catalog"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_named_mistake_gets_the_catalog_diagnosis_and_title_in_the_language(lang: str) -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    record = Record("shape", "cpu", "failed", "expected (1, 3)", "squeeze_all", "x = 1", 7)
    (result,) = score(ex, [record], lang)
    assert result.diagnosis == MISTAKE[lang] and result.title == TITLE[lang]
    assert (result.mistake, result.message, result.example, result.line) == (
        "squeeze_all",
        "expected (1, 3)",
        "x = 1",
        7,
    )
    assert (result.points, result.max_points) == (0.0, 4.0)


def test_a_mistake_missing_from_the_catalog_is_shown_by_its_id() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    (result,) = score(ex, [Record("shape", "cpu", "failed", "wrong", "made_up")], "en")
    assert result.diagnosis == "made_up"


def test_a_failure_without_a_mistake_has_no_diagnosis() -> None:
    ex = exercise(CheckSpec("shape", 4, TITLE))
    (result,) = score(ex, [Record("shape", "cpu", "failed", "wrong")], "en")
    assert result.diagnosis == "" and result.mistake == ""


def test_results_follow_the_catalog_order_whatever_the_record_order() -> None:
    ex = exercise(CheckSpec("a", 1, TITLE), CheckSpec("b", 1, TITLE), CheckSpec("c", 1, TITLE))
    records = [Record(name, "cpu", "passed") for name in ("c", "a", "b")]
    assert [r.name for r in score(ex, records, "en")] == ["a", "b", "c"]
