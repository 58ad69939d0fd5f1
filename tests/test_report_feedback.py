"""Reports that teach and stay honest: every failure, ranked; what ran; folded skips; quiet disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from report_fixtures import sample_run

from grader import catalog
from grader.engine.run import RunOptions, grade
from grader.report import html, terminal
from grader.results import CheckResult, ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent


def three_mistakes() -> ExerciseResult:
    return ExerciseResult(
        id="exercise1",
        title="Shapes",
        status="failed",
        score=1.0,
        max_score=6.0,
        checks=[
            CheckResult(
                "add_batch_dim_shape", "cpu", "failed", title="A", mistake="unsqueeze_last"
            ),
            CheckResult(
                "add_batch_dim_shape", "cuda", "skipped", message="skipped: no CUDA device"
            ),
            CheckResult("add_batch_dim_view", "any", "passed", 1.0, 1.0, title="B"),
            CheckResult(
                "remove_batch_dim_shape", "cpu", "failed", title="C", mistake="squeeze_all"
            ),
            CheckResult(
                "remove_batch_dim_shape", "cuda", "skipped", message="skipped: no CUDA device"
            ),
            CheckResult(
                "remove_batch_dim_rejects", "any", "failed", title="D", mistake="silent_squeeze"
            ),
        ],
    )


def test_the_terminal_lists_every_misconception_of_a_three_mistake_attempt() -> None:
    text = click.unstyle("\n".join(terminal.exercise_lines(three_mistakes(), "en")))
    for mistake in ("squeeze_all", "silent_squeeze"):
        assert f"[{mistake}]" in text
    assert "2 more to fix:" in text and "1 of 4 checks passed" in text
    assert text.index("A [cpu]") < text.index("C [squeeze_all]") < text.index("D [silent_squeeze]")


def test_html_opens_with_what_to_fix_and_lists_the_rest_of_that_exercise() -> None:
    page = html.render(RunResult(exercises=[three_mistakes()], devices=["cpu", "cuda"]))
    box = page[page.index('id="fix-next"') : page.index('id="summary"')]
    assert "squeeze_all" in box and "silent_squeeze" in box


def test_devices_line_says_what_ran_and_what_is_missing() -> None:
    run = RunResult(exercises=[three_mistakes()], devices=["cpu", "cuda"])
    assert html.devices_line(run, "en") == "CPU; CUDA not available here"
    assert html.devices_line(run, "zh") == "CPU; 此处没有 CUDA"
    stubs = RunResult(exercises=[ExerciseResult(id="exercise1", title="t", status="not_started")])
    stubs.devices = ["cpu", "cuda"]
    assert html.devices_line(stubs, "en") == "CPU, CUDA"


def test_a_device_skipped_throughout_is_one_line_not_a_note_per_row() -> None:
    matrix = html.context(RunResult(exercises=[three_mistakes()]))["exercises"][0]["matrix"]
    assert [d["id"] for d in matrix["devices"]] == ["cpu", "any"]
    assert matrix["folded"] == [{"label": "CUDA", "note": "no CUDA device"}]
    assert [r["title"] for r in matrix["rows"]][:3] == ["A", "C", "D"]  # failing rows first
    page = html.render(RunResult(exercises=[three_mistakes()]))
    assert page.count("no CUDA device") == 1


def test_rows_skipped_everywhere_are_folded() -> None:
    exercise = three_mistakes()
    exercise.checks.append(
        CheckResult("two_gpus", "any", "skipped", title="E", message="skipped: needs 2 GPUs")
    )
    matrix = html.context(RunResult(exercises=[exercise]))["exercises"][0]["matrix"]
    assert [r["title"] for r in matrix["skipped_rows"]] == ["E"]
    assert "E" not in [r["title"] for r in matrix["rows"]]
    assert "<details" in html.render(RunResult(exercises=[exercise]))


def test_exercises_that_need_work_come_first_and_not_started_is_not_drawn_as_failed() -> None:
    views = html.context(sample_run())["exercises"]
    statuses = [v["status"] for v in views]
    assert statuses == sorted(statuses, key=lambda s: html.ORDER_SHOWN[s])
    fresh = RunResult(
        exercises=[ExerciseResult(id="exercise1", title="t", status="not_started", max_score=6)]
    )
    assert 'class="fix new"' in html.render(fresh)


def test_the_concepts_are_a_compact_grid() -> None:
    page = html.render(sample_run())
    assert 'class="concept-grid"' in page and "<svg" not in page


@pytest.mark.slow
def test_grading_writes_nothing_in_the_folder_it_is_run_from(tmp_path: Path, monkeypatch) -> None:
    exercise = catalog.find("exercise1")
    shutil.copy(ROOT / "solutions" / exercise.file, tmp_path / exercise.file)
    monkeypatch.chdir(tmp_path)
    run = grade(RunOptions(workspace=tmp_path, exercises=(exercise,), device="cpu"))
    assert run.exercises[0].status == "passed"
    assert sorted(p.name for p in tmp_path.iterdir()) == [exercise.file]
