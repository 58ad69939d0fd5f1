"""The terminal verdict: what to fix first, in the learner's language, aligned, and safe to print."""

from __future__ import annotations

import click
import pytest
from report_fixtures import ANSI, sample_run

from grader.report import terminal


def rendered(lang: str) -> str:
    return click.unstyle(terminal.render(sample_run(), lang))


def test_failure_shows_message_diagnosis_example_and_hint() -> None:
    text = rendered("en")
    assert "add_batch_dim turns (C, H, W) into (1, C, H, W) [cpu]" in text
    assert "Why: The new dimension went to the end: use unsqueeze(0)." in text
    assert "Smallest failing input:" in text and "image = tensor([[[-6.0, -11.0]]])" in text
    assert "Hint: (1/3) A batch of one has a new dimension of size 1 in front." in text
    assert "timeout: grad_of_square took longer than 10 s" in text


@pytest.mark.parametrize(
    ("lang", "words", "foreign"),
    [
        ("en", ["Why:", "Hint:", "Smallest failing input:"], ["原因", "提示"]),
        ("zh", ["原因:", "提示:", "最小失败输入:"], ["Why:", "Hint:", "Smallest failing input"]),
    ],
)
def test_labels_are_in_the_learners_language(lang: str, words: list, foreign: list) -> None:
    text = rendered(lang)
    for word in words:
        assert word in text, word
    for word in foreign:
        assert word not in text, word


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_columns_line_up_in_terminal_columns(lang: str) -> None:
    heads = [line for line in rendered(lang).splitlines() if line[:1] in terminal.MARKS.values()]
    assert len(heads) == len(sample_run().exercises)
    score_columns = {terminal.width(line.rsplit(" ", 1)[0]) for line in heads}
    assert len(score_columns) == 1, heads


def test_display_width_counts_wide_characters_twice() -> None:
    assert terminal.width("训练步骤") == 8
    assert terminal.pad("训练", 6) == "训练  "
    assert terminal.pad("too long", 3) == "too long"


def test_learner_text_is_stripped_of_escapes_and_capped() -> None:
    assert ANSI not in rendered("zh") and "\x1b" not in rendered("zh")
    crashed = sample_run().exercises[1]
    crashed.checks = [c for c in crashed.checks if len(c.message) > terminal.MESSAGE_LIMIT]
    text = click.unstyle("\n".join(terminal.exercise_lines(crashed, "zh")))
    assert "x" * 1000 in text and "x" * terminal.MESSAGE_LIMIT not in text
    assert "（还有" in text


def test_passed_exercises_show_no_hint_or_output() -> None:
    lines = terminal.exercise_lines(sample_run().exercises[0], "en")
    assert len(lines) == 1 and "passed" in click.unstyle(lines[0])
