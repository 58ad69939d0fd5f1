"""A blank in the quiz is unanswered: never 'failed', and never erases an earlier answer."""

from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from grader import catalog
from grader.cli.quiz import quiz
from grader.quiz import bank as quiz_bank
from grader.quiz import flow, keys, quiz_progress


def grade(args: list[str]) -> click.testing.Result:
    @click.group()
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.obj = {"lang": "en"}

    group.add_command(quiz)
    return CliRunner().invoke(group, ["quiz", *args], catch_exceptions=False)


def template(tmp_path: Path) -> tuple[Path, str, list[flow.Item]]:
    path = tmp_path / "answers.toml"
    assert grade(["recurrent", "--seed", "3", "--template", str(path)]).exit_code == 0
    bank = quiz_bank.load()
    return path, path.read_text(encoding="utf-8"), flow.prepare(bank.of_topics(["recurrent"]), 3)


def answered(text: str, items: list[flow.Item]) -> str:
    for item in items:
        right = keys.show(item.question.answer_format, item.key)
        text = text.replace(f'{item.question.id} = ""', f"{item.question.id} = {json.dumps(right)}")
    return text


def test_a_blank_answers_file_leaves_the_topic_unanswered_not_failed(tmp_path: Path) -> None:
    path, _, items = template(tmp_path)
    result = grade(["--answers", str(path), "--workspace", str(tmp_path)])
    assert result.exit_code == 1
    assert "✗" not in result.output and "not answered" in result.output
    topic = {e.id: e for e in quiz_progress(tmp_path)}["quiz:recurrent"]
    assert topic.status == "not_started" and topic.score == 0 and topic.max_score == len(items)
    assert all(c.status == flow.UNANSWERED for c in topic.checks)
    assert catalog.message(f"status_{topic.status}", "en") == "not started"


def test_blanks_never_replace_earlier_answered_results(tmp_path: Path) -> None:
    path, blank, items = template(tmp_path)
    path.write_text(answered(blank, items), encoding="utf-8")
    assert grade(["--answers", str(path), "--workspace", str(tmp_path)]).exit_code == 0
    path.write_text(blank, encoding="utf-8")
    grade(["--answers", str(path), "--workspace", str(tmp_path)])
    topic = {e.id: e for e in quiz_progress(tmp_path)}["quiz:recurrent"]
    assert topic.status == "passed" and topic.score == topic.max_score == len(items)


def test_a_partly_answered_topic_is_unfinished_until_a_wrong_answer_fails_it(
    tmp_path: Path,
) -> None:
    path, blank, items = template(tmp_path)
    first = items[0]
    right = keys.show(first.question.answer_format, first.key)
    path.write_text(
        blank.replace(f'{first.question.id} = ""', f"{first.question.id} = {json.dumps(right)}"),
        encoding="utf-8",
    )
    grade(["--answers", str(path), "--workspace", str(tmp_path)])
    topic = {e.id: e for e in quiz_progress(tmp_path)}["quiz:recurrent"]
    assert topic.status == "not_started" and topic.score == 1
    statuses = [c.status for c in topic.checks]
    assert statuses.count("passed") == 1 and "failed" not in statuses
