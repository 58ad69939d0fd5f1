"""Gradescope results.json: exactly the fields and types of Gradescope's specification."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report_fixtures import ANSI, NO_CUDA, SCRIPT, assert_atomic, check_counts, sample_run

from grader.report import gradescope

TOP = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "tests",
}
TEST = {"name", "score", "max_score", "status", "output", "visibility"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_fields_and_types_are_exactly_the_specification(tmp_path: Path) -> None:
    run = sample_run()
    gradescope.write_gradescope(run, tmp_path / "results.json")
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert set(data) == TOP
    assert _number(data["score"]) and isinstance(data["execution_time"], int)
    assert data["execution_time"] >= run.duration
    assert isinstance(data["output"], str) and "2/6 exercises passed" in data["output"]
    assert {data[k] for k in TOP if k.endswith("_format")} == {"text"}
    tests = data["tests"]
    assert isinstance(tests, list)
    for test in tests:
        assert test["output"] != NO_CUDA  # a check that did not run here is not shown
        assert set(test) == TEST, test
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert _number(test["score"]) and _number(test["max_score"])
        assert 0 <= test["score"] <= test["max_score"]
        assert test["visibility"] in VISIBILITIES
        assert re.fullmatch(r"(exercise\d+|quiz:\w+): .+ \[[\w ]+\]", test["name"]), test["name"]
        assert test["status"] in {"passed", "failed"}
    counts = check_counts(run)
    ran = sum(counts.values()) - counts.get("skipped", 0)
    assert len(tests) == ran + 2  # + exercise4 (crash) and exercise5 (new)
    assert sum(1 for t in tests if t.get("status") == "passed") == counts["passed"]
    assert sum(t["score"] for t in tests) == pytest.approx(data["score"])
    assert sum(t["max_score"] for t in tests) == pytest.approx(
        sum(e.max_score for e in run.exercises)
    )


def test_feedback_is_in_the_failed_test() -> None:
    tests = {t["name"]: t for t in gradescope.build(sample_run())["tests"]}
    failed = tests["exercise2: add_batch_dim turns (C, H, W) into (1, C, H, W) [cpu]"]
    assert failed["status"] == "failed" and failed["max_score"] == 2
    assert "The new dimension went to the end" in failed["output"]
    assert "tensor([[[-6.0, -11.0]]])" in failed["output"] and "Hint:" in failed["output"]
    assert SCRIPT in failed["output"]  # plain text, which output_format "text" shows as text
    timeout = tests["exercise3: grad values [cpu]"]
    assert timeout["status"] == "failed" and "timeout" in timeout["output"]
    new = tests["exercise5: Training loop [not started]"]
    assert new["status"] == "failed" and new["max_score"] == 8
    text = gradescope.to_json(sample_run())
    assert ANSI not in text and "\\u001b" not in text


def test_interrupted_write_keeps_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("interrupted while rendering")

    assert_atomic(
        lambda path: gradescope.write_gradescope(sample_run(), path),
        tmp_path / "results.json",
        monkeypatch,
        lambda m: m.setattr(gradescope, "details", broken),
    )


def test_hidden_checks_show_after_the_due_date() -> None:
    data = gradescope.build(sample_run(), visibility="after_due_date")
    checks = [t for t in data["tests"] if not t["name"].endswith("]") or "[cpu]" in t["name"]]
    assert checks and all(t["visibility"] == "after_due_date" for t in checks)
    assert {t["visibility"] for t in gradescope.build(sample_run())["tests"]} == {"visible"}
    with pytest.raises(ValueError, match="'anything else' is not one of visible"):
        gradescope.build(sample_run(), visibility="anything else")


def test_the_visibility_comes_from_the_option_or_its_documented_variable(
    tmp_path: Path, monkeypatch
) -> None:
    from click.testing import CliRunner

    from grader import progress
    from grader.cli.app import cli

    workspace = tmp_path / "ws"
    workspace.mkdir()
    monkeypatch.setattr(progress, "last_run", lambda _workspace: sample_run())
    out = tmp_path / "results.json"
    args = ["report", "--workspace", str(workspace), "--gradescope", str(out)]

    def visibilities(*extra: str, env: dict[str, str] | None = None) -> set[str]:
        result = CliRunner().invoke(cli, [*args, *extra], env=env)
        assert result.exit_code == 0, result.output
        return {
            t["visibility"] for t in json.loads(out.read_text())["tests"] if "[cpu]" in t["name"]
        }

    monkeypatch.delenv("GRADE_GRADESCOPE_VISIBILITY", raising=False)
    assert visibilities() == {"visible"}
    assert visibilities("--gradescope-visibility", "hidden") == {"hidden"}
    assert visibilities(env={"GRADE_GRADESCOPE_VISIBILITY": "after_published"}) == {
        "after_published"
    }
    bad = CliRunner().invoke(cli, [*args, "--gradescope-visibility", "soon"])
    assert bad.exit_code == 2 and "'soon' is not one of" in bad.output
