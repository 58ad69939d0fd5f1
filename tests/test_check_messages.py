"""Check messages are data: each module's words, in English and Chinese, match its code.

A check module says everything through `say = messages(__name__)` and its sibling
`<module>.toml` (see docs/authoring.md). These tests read the modules' source (nothing is run),
so a key that is used but missing, a key that nobody uses, placeholders that differ between
the languages or a Chinese text left in English fail here, not in front of a learner.
"""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest
import torch

from grader import checking
from grader.checking import (
    ABSENT,
    CheckFailure,
    Code,
    Message,
    MessageError,
    load_messages,
    messages,
    placeholders,
    tolerance,
)

ROOT = Path(__file__).resolve().parent.parent
CHECKS = sorted((ROOT / "grader" / "checks").glob("exercise*.py"))
CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # ideographs, CJK punctuation
LABEL = re.compile(r"(^|\n)\s*(expected|got):")
# Modules whose words are data: every check module that calls messages(), and checking itself.
SPEAKERS = [ROOT / "grader" / "checking.py"] + [
    path for path in CHECKS if "messages(" in path.read_text(encoding="utf-8")
]


def say_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "say"
    ]


def constants(tree: ast.AST) -> set[str]:
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


@pytest.mark.parametrize("module", SPEAKERS, ids=ids(SPEAKERS))
def test_every_key_a_module_says_is_in_its_file_with_the_fields_it_passes(module: Path) -> None:
    words = load_messages(module.with_suffix(".toml"))
    tree = ast.parse(module.read_text(encoding="utf-8"))
    problems = []
    for call in say_calls(tree):
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue  # a key chosen at run time: its candidates must be constants (next test)
        if first.value not in words.entries:
            problems.append(f"line {call.lineno}: {first.value!r} is not in {module.stem}.toml")
            continue
        if any(keyword.arg is None for keyword in call.keywords):
            continue  # **fields: checked when the message is made
        passed = {keyword.arg for keyword in call.keywords}
        asked = placeholders(words.entries[first.value]["en"])
        if passed != asked:
            problems.append(f"line {call.lineno}: {first.value!r} takes {asked}, given {passed}")
    assert not problems, problems


@pytest.mark.parametrize("module", SPEAKERS, ids=ids(SPEAKERS))
def test_every_key_in_a_message_file_is_used_by_its_module(module: Path) -> None:
    words = load_messages(module.with_suffix(".toml"))
    unused = set(words.entries) - constants(ast.parse(module.read_text(encoding="utf-8")))
    assert not unused, f"{module.stem}.toml has keys its module never says: {sorted(unused)}"


@pytest.mark.parametrize("module", SPEAKERS, ids=ids(SPEAKERS))
def test_every_message_has_english_and_chinese_with_the_same_placeholders(module: Path) -> None:
    words = load_messages(module.with_suffix(".toml"))  # raises on a missing language
    for key, entry in words.entries.items():
        assert placeholders(entry["en"]) == placeholders(entry["zh"]), key
        words = re.sub(r"\{[^}]*\}", "", entry["en"])  # a text of fields only has no words
        if re.search(r"[A-Za-z]", words):
            assert CJK.search(entry["zh"]), f"{module.stem}.toml [{key}] zh is not Chinese"
        assert not CJK.search(entry["en"]), f"{module.stem}.toml [{key}] en holds Chinese"


@pytest.mark.parametrize("module", SPEAKERS[1:], ids=ids(SPEAKERS[1:]))
def test_a_module_on_say_writes_no_message_by_hand(module: Path) -> None:
    """No str literal or f-string as a failure's message, and no hand-written expected/got."""
    text = module.read_text(encoding="utf-8")
    tree = ast.parse(text)
    by_hand = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("fail", "CheckFailure")
        and node.args
        and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
    ]
    assert not by_hand, f"{module.stem}: fail() with a message written in code at {by_hand}"
    labels = [text for text in constants(tree) if LABEL.search(text)]
    labels += [
        part.value
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
        if isinstance(part, ast.Constant) and LABEL.search(str(part.value))
    ]
    assert not labels, f"{module.stem} writes expected/got lines by hand: fail(expected=, got=)"


def test_messages_of_a_module_outside_the_package_come_from_its_sibling_file(
    tmp_path: Path,
) -> None:
    module = tmp_path / "exercise99_private.py"
    module.write_text("", encoding="utf-8")
    module.with_suffix(".toml").write_text(
        '[batch]\nen = "a batch of {n}"\nzh = "大小为 {n} 的批次"\n', encoding="utf-8"
    )
    say = messages(str(module))
    said = say("batch", n=2)
    assert said == "a batch of 2" and isinstance(said, str)
    assert said.render("zh") == "大小为 2 的批次"
    assert pickle.loads(pickle.dumps(said)).render("zh") == "大小为 2 的批次"
    with pytest.raises(MessageError, match=r"'bach'.*exercise99_private\.toml"):
        say("bach", n=2)
    with pytest.raises(MessageError, match="takes the fields"):
        say("batch", size=2)
    with pytest.raises(MessageError, match="show"):
        say("batch", n=torch.zeros(2))


@pytest.mark.parametrize(
    "text",
    [
        '[a]\nen = "x {n}"\n',  # no zh
        '[a]\nen = "x {n}"\nzh = "叉 {m}"\n',  # other placeholders
        '[a]\nen = "x"\nzh = "叉"\nfr = "x"\n',  # an unknown language
    ],
)
def test_a_malformed_message_file_fails_when_it_is_loaded(tmp_path: Path, text: str) -> None:
    module = tmp_path / "exercise98_broken.py"
    module.with_suffix(".toml").write_text(text, encoding="utf-8")
    with pytest.raises(MessageError, match="exercise98_broken.toml"):
        messages(str(module))


def test_the_grader_writes_expected_and_got_lines_in_the_learners_language() -> None:
    said = CheckFailure(
        checking.say("detail_values"), expected=torch.tensor([1.0]), got=Code("None")
    ).said()
    assert isinstance(said, Message)
    assert said.render("en") == (
        "values differ\n  expected: tensor([1.0], shape=(1,), dtype=float32)\n  got:      None"
    )
    assert (
        said.render("zh")
        == "数值不同\n  期望：tensor([1.0], shape=(1,), dtype=float32)\n  实际：None"
    )
    only_got = CheckFailure(checking.say("detail_values"), got=3).said()
    assert only_got.render("en") == "values differ\n  got:      3"
    assert CheckFailure(checking.say("detail_values")).expected is ABSENT


def test_a_plain_str_message_is_kept_as_written() -> None:
    failure = CheckFailure("by hand\n  expected: 1", expected=1, got=2)
    assert failure.said() == "by hand\n  expected: 1"


def test_tolerance_is_looser_off_the_cpu_and_for_convolutions() -> None:
    cpu, gpu = tolerance("cpu"), tolerance("cuda")
    assert cpu < gpu and tolerance("cpu", convolution=True) > cpu
    assert tolerance("cuda", convolution=True) >= gpu
    assert checking.same(torch.tensor([1.0]), torch.tensor([1.0 + 1e-4]), *gpu)
    assert not checking.same(torch.tensor([1.0]), torch.tensor([1.0 + 1e-4]), *cpu)


def test_code_is_shown_without_quotes() -> None:
    assert checking.show({"x": Code("torch.zeros(2)")}) == "{'x': torch.zeros(2)}"


def test_a_module_run_without_being_registered_finds_its_words(tmp_path: Path) -> None:
    import importlib.util

    module = tmp_path / "exercise97_unregistered.py"
    module.write_text(
        "from grader.checking import messages\nsay = messages(__name__)\n", encoding="utf-8"
    )
    module.with_suffix(".toml").write_text('[hi]\nen = "hi"\nzh = "你好"\n', encoding="utf-8")
    spec = importlib.util.spec_from_file_location("private.exercise97_unregistered", module)
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)  # not in sys.modules, as some loaders do
    assert loaded.say("hi").render("zh") == "你好"
