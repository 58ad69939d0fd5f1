"""The concept quiz: its bank, its keys (computed in the sandbox), variants, flow and CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
import torch
from click.testing import CliRunner
from torch import nn
from torch.utils.data import DataLoader

from grader import results
from grader.cli.quiz import quiz
from grader.quiz import bank as quiz_bank
from grader.quiz import flow, keys, quiz_progress, quiz_results

SEEDS = (0, 1, 2, 3, 4)

# Each concept of the curriculum's quiz list, and questions that cover it.
CONCEPTS = {
    "dynamic vs static graphs, eager execution": [
        "graphs-eager",
        "graphs-dynamic",
        "graphs-static",
    ],
    "when memory is freed": ["memory-refcount", "memory-weakref", "memory-saved-tensors"],
    "ToTensor and Normalize(.5, .5) value ranges": ["transforms-totensor", "transforms-normalize"],
    "squeeze/unsqueeze shapes": ["shapes-unsqueeze-front", "shapes-squeeze-noop"],
    "detach()/cpu() order": ["devices-numpy", "devices-order"],
    "why zero_grad is required": ["autograd-accumulate", "autograd-why-zero-grad"],
    "DataLoader sampler": ["dataloader-sampler", "dataloader-sampler-shuffle"],
    "DataLoader num_workers=0": ["dataloader-workers", "dataloader-worker-info"],
    "DataLoader collate_fn": ["dataloader-collate-default", "dataloader-collate-fn"],
    "DataLoader pin_memory": ["dataloader-pin-memory"],
    "DataLoader drop_last": ["dataloader-drop-last", "dataloader-drop-last-why"],
    "module.cuda() vs tensor.cuda()": [
        "devices-tensor-to",
        "devices-module-to",
        "devices-bare-cuda",
    ],
    "DataParallel splits a batch": ["dp-split", "dp-forward"],
    "DataParallel combines gradients": ["dp-gradients"],
    "DataParallel attributes read-only": ["dp-attributes"],
    "nn.LSTM(4, 3, 1) shapes": ["rnn-lstm-output", "rnn-lstm-hidden", "rnn-lstm-weight"],
    "nn.LSTMCell(4, 3) shapes": ["rnn-cell", "rnn-cell-vs-lstm"],
    "nn.Embedding(4, 5) shapes": ["rnn-embedding", "rnn-embedding-weight"],
    "backward on a non-scalar output": ["autograd-nonscalar", "autograd-vjp"],
    "optimizer.zero_grad() vs net.zero_grad()": ["opt-zero-grad-vs-net", "opt-zero-grad-subset"],
    "per-group learning rates": ["opt-groups", "opt-group-defaults"],
}


def _lstm(batch_first: bool = False) -> nn.LSTM:
    return nn.LSTM(4, 3, 1, batch_first=batch_first)


def _accumulated(n: int, k: int) -> float:
    w = torch.tensor(1.0, requires_grad=True)
    for _ in range(n):
        (k * w).backward()
    return w.grad.item()


def _normalized(p: int) -> float:
    return ((torch.tensor(float(p)) / 255 - 0.5) / 0.5).item()


# Independent computations, in this process with torch, of every parametric question's key.
ORACLES = {
    "memory-view": lambda v: torch.zeros(v["n"])[: v["k"]].untyped_storage().nbytes(),
    "transforms-shape": lambda v: tuple(torch.zeros(v["h"], v["w"], 3).permute(2, 0, 1).shape),
    "transforms-pixel": lambda v: _normalized(v["p"]),
    "shapes-unsqueeze-front": lambda v: tuple(torch.zeros(v["c"], v["h"]).unsqueeze(0).shape),
    "shapes-unsqueeze-last": lambda v: tuple(
        torch.zeros(v["a"], v["b"], v["c"]).unsqueeze(-1).shape
    ),
    "shapes-unsqueeze-middle": lambda v: tuple(torch.zeros(v["a"], v["b"]).unsqueeze(-2).shape),
    "shapes-squeeze-all": lambda v: tuple(torch.zeros(1, v["a"], 1, v["b"]).squeeze().shape),
    "shapes-squeeze-noop": lambda v: tuple(torch.zeros(v["a"], 1, v["b"]).squeeze(0).shape),
    "autograd-accumulate": lambda v: _accumulated(v["n"], v["k"]),
    "dataloader-len": lambda v: len(DataLoader(range(v["n"]), batch_size=v["b"])),
    "dataloader-drop-last": lambda v: len(
        DataLoader(range(v["n"]), batch_size=v["b"], drop_last=True)
    ),
    "dataloader-last-batch": lambda v: len(list(DataLoader(range(v["n"]), batch_size=v["b"]))[-1]),
    "dp-split": lambda v: len(torch.zeros(v["n"] * v["k"]).chunk(v["n"])[0]),
    "rnn-lstm-output": lambda v: tuple(_lstm()(torch.zeros(v["t"], v["b"], 4))[0].shape),
    "rnn-lstm-hidden": lambda v: tuple(_lstm()(torch.zeros(v["t"], v["b"], 4))[1][0].shape),
    "rnn-batch-first": lambda v: tuple(_lstm(True)(torch.zeros(v["b"], v["t"], 4))[1][0].shape),
    "rnn-cell": lambda v: tuple(nn.LSTMCell(4, 3)(torch.zeros(v["b"], 4))[0].shape),
    "rnn-embedding": lambda v: tuple(
        nn.Embedding(4, 5)(torch.zeros(v["b"], v["t"], dtype=torch.long)).shape
    ),
    "layer-shapes-same-padding": lambda v: tuple(
        nn.Conv2d(3, v["o"], kernel_size=3, padding=1)(torch.zeros(2, 3, v["h"], v["w"])).shape
    ),
    "losses-reduction": lambda v: nn.MSELoss(reduction="sum")(
        torch.zeros(v["n"]), torch.ones(v["n"])
    ).item(),
}


@pytest.fixture(scope="module")
def bank() -> quiz_bank.Bank:
    """The shipped bank."""
    return quiz_bank.load(quiz_bank.BANK_FILE)


@pytest.fixture(scope="module")
def computed(bank: quiz_bank.Bank) -> dict[tuple[str, int], tuple[keys.Variant, object]]:
    """Every question at seed 0 and every parametric one at each seed, keyed in ONE worker."""
    wanted = [keys.variant(q, 0) for q in bank.questions]
    wanted += [keys.variant(q, s) for q in bank.questions if q.parametric for s in SEEDS[1:]]
    found = keys.compute_keys(wanted)
    return {(v.question.id, v.seed): (v, k) for v, k in zip(wanted, found, strict=True)}


@pytest.fixture
def grade() -> click.Group:
    """A tiny `grade` group with the quiz command, as the lead registers it."""

    @click.group()
    @click.option("--lang", default="en")
    @click.pass_context
    def group(ctx: click.Context, lang: str) -> None:
        ctx.obj = {"lang": lang}

    group.add_command(quiz)
    return group


def invoke(group: click.Group, args: list[str], **kwargs):
    """Run `grade ARGS` in-process; never a traceback."""
    result = CliRunner().invoke(group, args, **kwargs)
    assert "Traceback" not in result.output, result.output
    return result


# --- the bank ------------------------------------------------------------------------------


def test_bank_covers_every_concept_of_the_curriculum(bank: quiz_bank.Bank) -> None:
    ids = {q.id for q in bank.questions}
    assert len(bank.questions) >= 40
    assert len(bank.topics) >= 8
    for topic in bank.topics:
        assert len(bank.of_topics([topic.id])) >= 3, topic.id
    assert {q.kind for q in bank.questions} == set(quiz_bank.KINDS)
    assert {"shape", "int", "number", "numbers", "dtype", "text", "bool"} <= {
        q.format for q in bank.questions
    }
    for concept, question_ids in CONCEPTS.items():
        assert set(question_ids) <= ids, concept


def test_every_learner_text_is_in_english_and_chinese(bank: quiz_bank.Bank) -> None:
    texts = [(t.id, t.title) for t in bank.topics]
    for q in bank.questions:
        texts += [(q.id, q.prompt), (q.id, q.explain)] + [(q.id, c) for c in q.choices]
    for where, text in texts:
        assert text.get("en") and text.get("zh"), where
        assert set(quiz_bank.placeholders(text["en"])) == set(quiz_bank.placeholders(text["zh"]))
    assert set(bank.phrases["en"]) == set(bank.phrases["zh"])


def test_a_broken_bank_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bank.toml"
    path.write_text(
        '[topics.t]\ntitle = "T"\n'
        '[[questions]]\nid = "q-one"\ntopic = "nope"\nkind = "single"\nprompt = "P"\n'
        'explain = "E"\nchoices = ["x", "y"]\nanswer = "c"\n'
        '[[questions]]\nid = "q-two"\ntopic = "t"\nkind = "exact"\nformat = "shape"\n'
        'prompt = "shape of $n?"\nexplain = "E"\nanswer = "(1, $n)"\n',
        encoding="utf-8",
    )
    with pytest.raises(quiz_bank.BankError) as caught:
        quiz_bank.load(path)
    message = str(caught.value)
    assert "'q-one'" in message and "topic 'nope'" in message
    assert "$n is used but not in params" in message
    path.write_text("[[questions]\n", encoding="utf-8")
    with pytest.raises(quiz_bank.BankError, match="not valid TOML"):
        quiz_bank.load(path)


def test_a_private_bank_replaces_the_shipped_one(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "private.toml"
    path.write_text(_tiny_bank(), encoding="utf-8")
    private = quiz_bank.load(path)  # `grade quiz --bank PATH` (or $GRADE_QUIZ_BANK)
    assert [q.id for q in private.questions] == ["tiny-choice", "tiny-broken"]
    assert private.phrase("right", "zh") == "正确！"  # phrases it leaves out come from the grader


# --- keys ------------------------------------------------------------------------------------


def test_every_question_has_a_valid_key(computed) -> None:
    for (question_id, seed), (v, key) in computed.items():
        assert not isinstance(key, keys.KeyFailure), key
        question = v.question
        if question.kind == "predict" and v.expected() is not None:
            assert keys.same(question, key, v.expected()), (question_id, seed, key)
        if question.kind == "single":
            assert key in question.labels
        # The key, written as the quiz shows it, reads back as a right answer.
        shown = keys.show(question.answer_format, key)
        given = keys.parse(question.answer_format, shown, question.labels)
        assert keys.same(question, key, given), (question_id, shown)


def test_parametric_variants_differ_across_seeds_and_stay_correct(bank, computed) -> None:
    parametric = [q for q in bank.questions if q.parametric]
    assert parametric and set(ORACLES) == {q.id for q in parametric}
    for question in parametric:
        seen = set()
        for seed in SEEDS:
            v, key = computed[(question.id, seed)]
            seen.add(v.prompt("en") + v.code)
            expected = ORACLES[question.id](v.values)
            wanted = keys.from_value(question.format, expected)
            assert keys.same(question, key, wanted), (question.id, seed, key, expected)
        assert len(seen) > 1, question.id
    assert keys.draw(parametric[0], 7) == keys.draw(parametric[0], 7)


def test_students_get_stable_and_different_seeds() -> None:
    assert keys.seed_for_student("alice") == keys.seed_for_student(" alice ")
    assert keys.seed_for_student("alice") != keys.seed_for_student("bob")


@pytest.mark.parametrize(
    "text", ["(1, 3, 4)", "(1,3,4)", "[1, 3, 4]", "torch.Size([1, 3, 4])", " 1, 3, 4 "]
)
def test_shapes_are_read_whatever_the_brackets(text: str) -> None:
    assert keys.parse("shape", text) == (1, 3, 4)


@pytest.mark.parametrize(
    ("fmt", "text", "normal"),
    [
        ("shape", "torch.Size([])", ()),
        ("shape", "(5,)", (5,)),
        ("int", "tensor(7)", 7),
        ("int", "7.0", 7),
        ("number", "-0.25", -0.25),
        ("numbers", "tensor([2., 2., 1.5000])", (2.0, 2.0, 1.5)),
        ("dtype", "float32", "torch.float32"),
        ("dtype", "torch.float", "torch.float32"),
        ("dtype", "torch.long", "torch.int64"),
        ("bool", "True", True),
        ("bool", "否", False),
        ("text", "  True   True False ", "True True False"),
    ],
)
def test_answers_are_normalised(fmt: str, text: str, normal: object) -> None:
    assert keys.parse(fmt, text) == normal


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("shape", "abc"),
        ("shape", "(1, -3)"),
        ("shape", "(1.5, 2)"),
        ("int", "3.5"),
        ("int", "1, 2"),
        ("number", "half"),
        ("dtype", "floaty"),
        ("bool", "maybe"),
        ("choice", "z"),
        ("choice", "ab"),
        ("choices", "a, q"),
    ],
)
def test_unreadable_answers_are_malformed(fmt: str, text: str) -> None:
    with pytest.raises(keys.Malformed):
        keys.parse(fmt, text, "abcd")


def test_choices_accept_letters_in_any_form() -> None:
    assert keys.parse("choices", "d, a", "abcd") == ("a", "d")
    assert keys.parse("choices", "ad", "abcd") == ("a", "d")
    assert keys.parse("choices", keys.as_text(["a", "d"]), "abcd") == ("a", "d")
    assert keys.parse("choice", "B)", "abcd") == "b"


# --- results ---------------------------------------------------------------------------------


def test_quiz_results_are_exercise_results(bank: quiz_bank.Bank, computed) -> None:
    items = [flow.Item(*computed[(q.id, 0)]) for q in bank.of_topics(["autograd", "shapes"])]
    for item in items:
        right = keys.show(item.question.answer_format, item.key)
        flow.judge(item, right if item.question.id != "autograd-vjp" else "[1, 2, 3]")
    found = quiz_results(bank, items, "en")
    assert [r.id for r in found] == ["quiz:shapes", "quiz:autograd"]
    shapes, autograd = found
    assert shapes.status == "passed" and shapes.score == shapes.max_score == 7
    assert autograd.status == "failed" and autograd.score == autograd.max_score - 1
    wrong = next(c for c in autograd.checks if c.status == "failed")
    assert wrong.name == "autograd-vjp" and wrong.device == "any"
    assert "vector-Jacobian" in wrong.message and "[1, 2, 3]" in wrong.example
    run = flow.quiz_run(bank, items, seed=0)
    assert results.from_dict(json.loads(results.to_json(run))).exercises == found


# --- the command -----------------------------------------------------------------------------


def test_interactive_quiz_says_right_or_wrong_at_once(grade, bank, tmp_path: Path) -> None:
    items = flow.prepare(bank.of_topics(["graphs"]), seed=3)
    answers = [keys.show(i.question.answer_format, i.key) for i in items]
    typed = ["zz", "a"] + answers[1:]  # unreadable, then wrong, then every right answer
    result = invoke(
        grade,
        ["quiz", "graphs", "--seed", "3", "--workspace", str(tmp_path)],
        input="\n".join(typed) + "\n",
    )
    assert result.exit_code == 1, result.output
    assert "Error: 'zz' is not one letter: a, b, c, d." in result.output
    assert result.output.count("✓ Right!") == len(items) - 1
    assert "✗ Not quite. The answer is: b) Immediately" in result.output
    assert "Why: Eager execution runs each operation" in result.output
    assert f"Score: {len(items) - 1}/{len(items)}" in result.output
    assert [e.id for e in quiz_progress(tmp_path)] == ["quiz:graphs"]


def test_interactive_quiz_all_right_exits_0_in_chinese(grade, bank, tmp_path: Path) -> None:
    items = flow.prepare(bank.of_topics(["data-parallel"]), seed=11)
    typed = "\n".join(keys.show(i.question.answer_format, i.key) for i in items) + "\n"
    args = ["--lang", "zh", "quiz", "data-parallel", "--seed", "11", "--workspace", str(tmp_path)]
    result = invoke(grade, args, input=typed)
    assert result.exit_code == 0, result.output
    assert "全部答对" in result.output and f"得分：{len(items)}/{len(items)}" in result.output


def test_template_then_answers_file_grades_the_same_variants(grade, bank, tmp_path) -> None:
    template = tmp_path / "answers.toml"
    args = ["quiz", "recurrent", "--student", "alice", "--template", str(template)]
    result = invoke(grade, args)
    assert result.exit_code == 0, result.output
    text = template.read_text(encoding="utf-8")
    seed = keys.seed_for_student("alice")
    assert f"seed = {seed}" in text and 'topics = ["recurrent"]' in text
    assert "# [rnn-lstm-output]" in text and 'rnn-lstm-output = ""' in text
    assert invoke(grade, args).exit_code == 2  # never overwrites a filled-in file

    items = flow.prepare(bank.of_topics(["recurrent"]), seed)
    for item in items:
        right = keys.show(item.question.answer_format, item.key)
        text = text.replace(f'{item.question.id} = ""', f"{item.question.id} = {json.dumps(right)}")
    template.write_text(text, encoding="utf-8")
    report = tmp_path / "quiz.json"
    outputs = [
        "--html",
        str(tmp_path / "q.html"),
        "--junit",
        str(tmp_path / "q.xml"),
        "--gradescope",
        str(tmp_path / "q-gs.json"),
    ]
    result = invoke(
        grade, ["quiz", "--answers", str(template), "--json", str(report), *outputs] + _ws(tmp_path)
    )
    assert result.exit_code == 0, result.output
    assert f"Score: {len(items)}/{len(items)}" in result.output
    stored = json.loads(report.read_text(encoding="utf-8"))
    assert stored["seed"] == seed and stored["exercises"][0]["id"] == "quiz:recurrent"
    assert "quiz:recurrent" in (tmp_path / "q.html").read_text(encoding="utf-8")
    assert 'name="quiz:recurrent"' in (tmp_path / "q.xml").read_text(encoding="utf-8")
    gradescope = json.loads((tmp_path / "q-gs.json").read_text(encoding="utf-8"))
    assert gradescope["score"] == len(items) and gradescope["tests"]

    wrong = re.sub(r'rnn-embedding-weight = ".*"', "rnn-embedding-weight = [5, 4]", text)
    template.write_text(wrong, encoding="utf-8")
    result = invoke(grade, ["quiz", "--answers", str(template)] + _ws(tmp_path))
    assert result.exit_code == 1, result.output
    assert "✗ rnn-embedding-weight: your answer: [5, 4]" in result.output
    assert "num_embeddings × embedding_dim" in result.output
    progress = {e.id: e for e in quiz_progress(tmp_path)}
    assert progress["quiz:recurrent"].status == "failed"


def _ws(path: Path) -> list[str]:
    return ["--workspace", str(path)]


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ('seed = 0\nno-such-question = "a"\n', ["unknown question id 'no-such-question'"]),
        ('seed = 0\ngraphs-eagre = "b"\n', ["Did you mean 'graphs-eager'?"]),
        ('seed = 0\ngraphs-eager = "z"\n', ["'graphs-eager'", "'z'", "one letter: a, b, c, d"]),
        ('seed = 0\nrnn-cell = "two by three"\n', ["'two by three'", "a shape such as"]),
        ('seed = 0\ngraphs-control-flow = "perhaps"\n', ["'perhaps'", "true or false"]),
        ("seed = 0\ngraphs-eager = { a = 1 }\n", ["'graphs-eager'"]),
        ('seed = 0\ngraphs-eager = "b\n', ["is not valid TOML", "--template"]),
        ('seed = "zero"\n', ["seed in", "whole number"]),
        ('topics = ["nosuch"]\n', ["Unknown quiz topic 'nosuch'"]),
    ],
)
def test_bad_answers_files_are_usage_errors(grade, tmp_path, content, needles) -> None:
    path = tmp_path / "answers.toml"
    path.write_text(content, encoding="utf-8")
    result = invoke(grade, ["quiz", "--answers", str(path)] + _ws(tmp_path))
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.output, result.output
    assert not (tmp_path / ".grade").exists()


def test_usage_errors_of_the_command(grade, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = invoke(grade, ["quiz", "--answers", str(missing)])
    assert result.exit_code == 2 and "There is no answers file at" in result.output
    assert f"grade quiz --template {missing}" in result.output
    path = tmp_path / "answers.toml"
    path.write_text("seed = 5\n", encoding="utf-8")
    result = invoke(grade, ["quiz", "--answers", str(path), "--seed", "6"])
    assert result.exit_code == 2 and "written for seed 5" in result.output
    result = invoke(grade, ["quiz", "--answers", str(path), "--template", str(missing)])
    assert result.exit_code == 2 and "not both" in result.output
    assert invoke(grade, ["quiz", "--seed", "1", "--student", "x"]).exit_code == 2
    result = invoke(grade, ["quiz", "no-such-topic"])
    assert result.exit_code == 2 and "Unknown quiz topic 'no-such-topic'" in result.output
    result = invoke(grade, ["quiz", "--bank", str(missing)])
    assert result.exit_code == 2 and "cannot read the quiz bank" in result.output


def test_a_snippet_that_fails_is_an_error_not_a_crash(grade, tmp_path: Path) -> None:
    private = tmp_path / "private.toml"
    private.write_text(_tiny_bank(), encoding="utf-8")
    path = tmp_path / "answers.toml"
    path.write_text('seed = 0\ntiny-choice = "a"\ntiny-broken = "1"\n', encoding="utf-8")
    args = ["quiz", "--bank", str(private), "--answers", str(path), "--json", "-"]
    result = invoke(grade, args + _ws(tmp_path))
    assert result.exit_code == 1, result.output
    run = results.from_dict(json.loads(result.output))
    [topic] = run.exercises
    assert topic.id == "quiz:tiny" and topic.status == "error"
    broken = next(c for c in topic.checks if c.name == "tiny-broken")
    assert broken.status == "error" and "ZeroDivisionError" in broken.message


def _tiny_bank() -> str:
    return (
        '[topics.tiny]\ntitle = "Tiny"\n'
        '[[questions]]\nid = "tiny-choice"\ntopic = "tiny"\nkind = "single"\nprompt = "P"\n'
        'explain = "E"\nchoices = ["x", "y"]\nanswer = "a"\n'
        '[[questions]]\nid = "tiny-broken"\ntopic = "tiny"\nkind = "predict"\nformat = "int"\n'
        'prompt = "P"\nexplain = "E"\ncode = "answer = 1 // 0"\n'
    )
