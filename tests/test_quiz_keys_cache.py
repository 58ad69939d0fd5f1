"""The quiz scores an answers file without torch when no key needs it, and computes each
predict-the-output key once per torch (cached under the hash of its inputs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.quiz import bank as quiz_bank
from grader.quiz import keycache, keys

ROOT = Path(__file__).resolve().parent.parent
# Runs the CLI in a fresh interpreter, then says which heavy modules it imported.
SCRIPT = """
import json, sys
from grader.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="grade", standalone_mode=False)
except SystemExit:
    pass
print(json.dumps({m: m in sys.modules for m in ("torch", "torchvision")}))
"""


def _grade(args: list[str], cache: Path) -> tuple[dict, str]:
    """Run `grade ARGS` in a subprocess with its own cache; (heavy imports seen, output)."""
    env = dict(os.environ, GRADE_CACHE_DIR=str(cache), NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    *output, imported = done.stdout.strip().splitlines()
    return json.loads(imported), "\n".join(output)


def _answers(tmp_path: Path, topic: str) -> Path:
    """A filled-in answers file for `topic`: every right answer, from the bank."""
    bank = quiz_bank.shipped()
    questions = bank.of_topics([topic])
    path = tmp_path / f"{topic}.toml"
    lines = ["seed = 0", f'topics = ["{topic}"]']
    variants = [keys.variant(q, 0) for q in questions]
    for v, key in zip(variants, keys.compute_keys(variants), strict=True):
        lines.append(
            f"{json.dumps(v.question.id)} = {json.dumps(keys.show(v.question.answer_format, key))}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_static_answers_are_scored_without_importing_torch(tmp_path: Path) -> None:
    topic = "checkpoints"  # no predict-the-output question: every key is stated in the bank
    assert all(q.kind != "predict" for q in quiz_bank.shipped().of_topics([topic]))
    answers = _answers(tmp_path, topic)
    args = ["quiz", topic, "--answers", str(answers), "--workspace", str(tmp_path)]
    imported, output = _grade(args, tmp_path / "cache")
    assert "Score: 3/3" in output
    assert imported == {"torch": False, "torchvision": False}


@pytest.mark.slow  # two CLI runs, the first starting a worker
def test_cached_predict_keys_score_answers_without_torch(tmp_path: Path) -> None:
    topic = "graphs"
    assert any(q.kind == "predict" for q in quiz_bank.shipped().of_topics([topic]))
    answers = _answers(tmp_path, topic)
    args = ["quiz", topic, "--answers", str(answers), "--workspace", str(tmp_path)]
    cache = tmp_path / "cache"
    first, output = _grade(args, cache)  # computes the predict keys in a worker, keeps them
    assert first["torch"] is True and "Score: 6/6" in output
    assert len(list(cache.glob("quiz-keys-*.json"))) == 1
    second, again = _grade(args, cache)
    assert again == output
    assert second == {"torch": False, "torchvision": False}


def _predict_variant() -> keys.Variant:
    question = next(q for q in quiz_bank.shipped().questions if q.kind == "predict")
    return keys.variant(question, 0)


def test_a_damaged_or_forged_cache_entry_is_computed_again(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(keycache.CACHE_ENV, str(tmp_path))
    v = _predict_variant()
    [right] = keys.compute_keys([v])
    entry = keycache.entry(v.code, v.question.format, v.question.result)
    for forged in ("{not json", json.dumps({entry: {"a": 1}}), json.dumps([1, 2])):
        keycache.path().write_text(forged, encoding="utf-8")
        assert keys.compute_keys([v]) == [right]
        assert keycache.read()[entry] is not None  # written again, as plain data


def test_a_changed_snippet_or_torch_is_a_new_entry(monkeypatch) -> None:
    assert keycache.entry("x = 1", "int", "x") != keycache.entry("x = 2", "int", "x")
    assert keycache.entry("x = 1", "int", "x") != keycache.entry("x = 1", "number", "x")
    before = keycache.environment()
    keycache.environment.cache_clear()
    monkeypatch.setattr("grader.engine.run.installed_torch_version", lambda: "0.0.1")
    try:
        assert keycache.environment() != before
    finally:
        keycache.environment.cache_clear()


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(keycache.CACHE_ENV, str(blocker / "below"))
    v = _predict_variant()
    [key] = keys.compute_keys([v])
    assert not isinstance(key, keys.KeyFailure)


@pytest.mark.parametrize("name", sorted(keys.DTYPES))
def test_the_dtype_table_agrees_with_torch(name: str) -> None:
    import torch

    assert f"torch.{keys.DTYPES[name]}" == str(getattr(torch, name))
