"""Hints teach without handing over the answer, and the one shown is for what failed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import catalog
from grader.cli import cli
from grader.engine import hints
from grader.results import CheckResult, ExerciseResult

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = catalog.load()


def code_lines(path: Path) -> list[str]:
    """The reference's lines that are code worth giving away: no comments, docstrings, headers."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = " ".join(raw.split())
        if (
            len(line) < 12
            or line.startswith(("#", '"""', "def ", "class ", "import ", "from ", "@"))
            or line.endswith('"""')
        ):
            continue
        lines.append(line.split("  #", 1)[0].strip())
    return lines


def squashed(text: str) -> str:
    return " ".join(text.replace("`", "").split())


def every_hint(exercise: catalog.Exercise) -> list[str]:
    texts = [
        h
        for ladder in exercise.ladders.values()
        for lang in catalog.LANGUAGES
        for h in ladder.get(lang, [])
    ]
    return texts + [
        catalog.pick(t, lang) for t in exercise.mistake_hints.values() for lang in catalog.LANGUAGES
    ]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_no_hint_contains_a_line_of_the_reference(exercise: catalog.Exercise) -> None:
    reference = ROOT / "solutions" / exercise.file
    lines = code_lines(reference)
    assert lines, f"no code lines read from {reference}"
    for text in every_hint(exercise):
        for line in lines:
            assert line not in squashed(text), f"{exercise.id}: a hint gives away {line!r}: {text}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_function_has_a_three_rung_ladder_in_every_language(
    exercise: catalog.Exercise,
) -> None:
    assert list(exercise.ladders) == list(exercise.api)
    for name, ladder in exercise.ladders.items():
        for lang in catalog.LANGUAGES:
            assert len(ladder[lang]) == 3, (name, lang)
        assert ladder["en"][0].rstrip().endswith("?"), f"{name}: the first rung is a question"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_every_check_belongs_to_a_function(exercise: catalog.Exercise) -> None:
    for spec in exercise.checks:
        function = exercise.function_of(spec.id)
        assert function in exercise.api, spec.id
        if any(spec.id.startswith(name) for name in exercise.api):
            assert spec.id.startswith(function), (spec.id, function)


def failing(name: str, mistake: str = "") -> ExerciseResult:
    return ExerciseResult(
        id="exercise1",
        title="t",
        status="failed",
        checks=[
            CheckResult("add_batch_dim_shape", "cpu", "passed"),
            CheckResult(name, "cpu", "failed", mistake=mistake),
            CheckResult("add_batch_dim_view", "cpu", "failed"),
        ],
    )


def test_the_hint_is_for_the_function_that_failed_first() -> None:
    exercise = catalog.find("exercise1")
    shown = hints.choose(exercise, failing("remove_batch_dim_shape"), "en")
    assert shown == f"(1/3) remove_batch_dim: {exercise.hint(1, 'en', 'remove_batch_dim')}"


def test_the_level_is_the_learners_level_for_that_function() -> None:
    exercise = catalog.find("exercise1")
    levels = {"exercise1:remove_batch_dim": 2, "exercise1:add_batch_dim": 3}
    shown = hints.choose(
        exercise, failing("remove_batch_dim_rejects"), "zh", lambda k: levels.get(k, 0)
    )
    assert shown == f"(2/3) remove_batch_dim: {exercise.hint(2, 'zh', 'remove_batch_dim')}"


def test_a_mistake_with_its_own_hint_gets_that_hint() -> None:
    exercise = catalog.find("exercise7")
    result = ExerciseResult(
        id="exercise7",
        title="t",
        status="failed",
        checks=[
            CheckResult("to_device_keeps_containers", "cpu", "failed", mistake="tuple_became_list")
        ],
    )
    assert hints.choose(exercise, result, "en") == (
        f"to_device: {exercise.mistake_hint('tuple_became_list', 'en')}"
    )


def test_a_pass_has_no_hint_and_a_stub_gets_the_first_functions_first_rung() -> None:
    exercise = catalog.find("exercise1")
    passed = ExerciseResult(id="exercise1", title="t", status="passed")
    stub = ExerciseResult(id="exercise1", title="t", status="not_started")
    assert hints.choose(exercise, passed, "en") == ""
    assert hints.choose(exercise, stub, "en").startswith("(1/3) add_batch_dim: ")


def test_a_catalog_with_one_ladder_for_the_exercise_still_works() -> None:
    exercise = catalog.Exercise(
        id="exercise1",
        file="f.py",
        title={"en": "t"},
        concepts=("c",),
        api=("a", "b"),
        hints={"en": ["one", "two"], "zh": ["一", "二"]},
        checks=(catalog.CheckSpec("b_x", 1, {"en": "t"}),),
    )
    result = ExerciseResult(
        id="exercise1", title="t", status="failed", checks=[CheckResult("b_x", "cpu", "failed")]
    )
    assert (
        hints.choose(exercise, result, "zh", lambda key: 2 if key == "exercise1" else 0)
        == "(2/2) 二"
    )
    assert catalog.hint_problems(exercise) == []


def test_hint_command_climbs_the_ladder_of_the_function_asked_for(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["hint", "exercise1", "--workspace", str(tmp_path)]
    first = runner.invoke(cli, [*args, "--function", "remove_batch_dim"])
    second = runner.invoke(cli, [*args, "--function", "remove_batch_dim"])
    other = runner.invoke(cli, args)
    assert first.exit_code == second.exit_code == other.exit_code == 0
    exercise = catalog.find("exercise1")
    assert exercise.hint(1, "en", "remove_batch_dim") in first.output
    assert "Hint 2/3 (remove_batch_dim)" in second.output
    assert "Hint 1/3 (add_batch_dim)" in other.output


def test_hint_command_refuses_an_unknown_function(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["hint", "exercise1", "--function", "nope", "--workspace", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert re.search(r"add_batch_dim, remove_batch_dim", result.output)


def function_lines(path: Path) -> dict[str, list[str]]:
    """Each function of the reference with its code lines (docstring and comments aside)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            body = [
                s
                for s in node.body
                if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
            ]
            kept = (
                " ".join(lines[n - 1].split())
                for s in body
                for n in range(s.lineno, s.end_lineno + 1)
            )
            found[node.name] = [k for k in kept if len(k) >= 8 and not k.startswith("#")]
    return found


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_no_diagnosis_holds_most_of_a_reference_function(exercise: catalog.Exercise) -> None:
    """A diagnosis may name the one line to change, never write out a function."""
    functions = function_lines(ROOT / "solutions" / exercise.file)
    for mistake_id, text in exercise.mistakes.items():
        for lang in catalog.LANGUAGES:
            said = squashed(catalog.pick(text, lang))
            for name, lines in functions.items():
                given = [line for line in lines if line in said]
                assert len(given) * 2 <= len(lines), (exercise.id, mistake_id, lang, name, given)
