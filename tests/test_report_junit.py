"""JUnit XML for CI servers: valid against the common schema, counts right, any learner text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from report_fixtures import NO_CUDA, assert_atomic, check_counts, sample_run

from grader.report import junit
from grader.results import CheckResult, ExerciseResult, RunResult

XSD = Path(__file__).resolve().parent / "data" / "junit.xsd"


def _hostile_run() -> RunResult:
    return RunResult(
        exercises=[
            ExerciseResult(
                id="exercise1",
                title="bell\x07 nul\x00 esc\x1b[1m",
                status="failed",
                checks=[
                    CheckResult(
                        name="odd\x01name",
                        device="cpu",
                        status="failed",
                        message="form feed\x0c vertical tab\x0b \ud800 \ufffe ]]> &amp; <b>",
                    )
                ],
                output="\x1b[2Jcleared\x00",
            )
        ]
    )


def test_counts_and_names_follow_the_run() -> None:
    run = sample_run()
    root = ET.fromstring(junit.to_xml(run))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [e.id for e in run.exercises]
    counts = check_counts(run)
    # Exercises where nothing ran get one case: exercise4 (error), exercise5 (not started).
    assert int(root.get("tests")) == sum(counts.values()) + 2
    assert int(root.get("failures")) == counts["failed"] + 1
    assert int(root.get("errors")) == counts["error"] + 1
    assert float(root.get("time")) == pytest.approx(run.duration, abs=1e-3)
    for suite, exercise in zip(suites, run.exercises, strict=True):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        for kind, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
            assert int(suite.get(kind)) == sum(1 for c in cases if c.find(tag) is not None)
        assert all(c.get("classname") == exercise.id for c in cases)
        names = [c.get("name") for c in cases]
        expected = [f"{c.name} [{c.device}]" for c in exercise.checks] or ["exercise [any]"]
        assert names == expected
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    failure = cases[("exercise2", "add_batch_dim_shape [cpu]")].find("failure")
    assert failure.get("type") == "unsqueeze_last" and failure.get("message").startswith(
        "add_batch_dim(image): shape"
    )
    assert "The new dimension went to the end" in failure.text and "Hint:" in failure.text
    error = cases[("exercise3", "grad_values [cpu]")].find("error")
    assert error.get("type") == "timeout" and "longer than 10 s" in error.get("message")
    crash = cases[("exercise4", "exercise [any]")].find("error")
    assert crash.get("type") == "crash"
    skipped = cases[("exercise1", "add_batch_dim_shape [cuda]")].find("skipped")
    assert skipped.get("message") == NO_CUDA
    assert cases[("exercise5", "exercise [any]")].find("failure").get("type") == "not_started"
    text = junit.to_xml(run)
    assert "\x1b" not in text and "x" * 2500 not in text


def test_control_characters_become_visible_and_parse() -> None:
    text = junit.to_xml(_hostile_run())
    root = ET.fromstring(text)  # would raise on a character XML 1.0 forbids
    case = root.find("testsuite/testcase")
    assert case.get("name") == "odd\\x01name [cpu]"
    message = case.find("failure").get("message")
    assert "]]> &amp; <b>" in message and "\ufffd" in message
    assert root.find("testsuite/system-out").text == "cleared"
    assert junit.xml_text("a\x00b\x1bc\ud800") == "a\\x00b\\x1bc\\xd800"


@pytest.mark.parametrize("make_run", [sample_run, _hostile_run, lambda: RunResult(exercises=[])])
def test_validates_against_the_junit_schema(make_run) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    text = junit.to_xml(make_run())
    schema.validate(text)
    ET.fromstring(text)


def test_schema_is_not_vacuous() -> None:
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(XSD))
    assert not schema.is_valid('<testsuites><testsuite name="a"/></testsuites>')  # no tests=
    assert not schema.is_valid(
        '<testsuites><testsuite name="a" tests="1"><testcase/></testsuite></testsuites>'
    )
    assert not schema.is_valid('<testsuites><testsuite name="a" tests="-1"/></testsuites>')
    assert schema.is_valid('<testsuites><testsuite name="a" tests="0"/></testsuites>')


def test_interrupted_write_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("interrupted while rendering")

    assert_atomic(
        lambda path: junit.write_junit(sample_run(), path),
        tmp_path / "junit.xml",
        monkeypatch,
        lambda m: m.setattr(junit, "details", broken),
    )
