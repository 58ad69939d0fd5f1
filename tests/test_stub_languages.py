"""The Chinese stubs teach the same exercise as the English ones: same code, translated text.

The stubs are the main teaching text, so each ships in every language (grader/stubs/zh/). A
learner may switch language at any time, and the grader must read both as the same untouched
stub, so only docstrings and comments may differ.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from grader import catalog
from grader.course import STUBS_DIR

CJK = re.compile(r"[\u4e00-\u9fff]")
NOQA = re.compile(r"noqa: ?[A-Z0-9, ]+[A-Z0-9]")


def code_without_docstrings(source: str) -> str:
    """The module's AST with every docstring removed (comments never reach the AST)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False)


def docstrings(source: str) -> list[str]:
    tree = ast.parse(source)
    found = [ast.get_docstring(tree)]
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(ast.get_docstring(node))
    return [text for text in found if text is not None]


def comments(source: str) -> list[tuple[int, str]]:
    """(line, comment) for every comment, read with tokenize (never a '#' inside a string)."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.start[0], t.string) for t in tokens if t.type == tokenize.COMMENT]


def stub_pairs() -> list:
    return [
        pytest.param(e.id, STUBS_DIR / e.file, STUBS_DIR / "zh" / e.file, id=e.id)
        for e in catalog.exercises()
        if (STUBS_DIR / e.file).is_file()
    ]


@pytest.mark.parametrize(("exercise", "english", "chinese"), stub_pairs())
def test_every_stub_has_a_chinese_twin_with_the_same_code(
    exercise: str, english: Path, chinese: Path
) -> None:
    assert chinese.is_file(), f"{exercise}: no Chinese stub {chinese}"
    en, zh = english.read_text(encoding="utf-8"), chinese.read_text(encoding="utf-8")
    assert code_without_docstrings(zh) == code_without_docstrings(en), (
        f"{chinese.name}: the code differs from the English stub (only text may differ)"
    )


@pytest.mark.parametrize(("exercise", "english", "chinese"), stub_pairs())
def test_chinese_stubs_translate_every_docstring_and_keep_lint_markers(
    exercise: str, english: Path, chinese: Path
) -> None:
    if not chinese.is_file():
        pytest.fail(f"{exercise}: no Chinese stub {chinese}")
    en, zh = english.read_text(encoding="utf-8"), chinese.read_text(encoding="utf-8")
    zh_docs = docstrings(zh)
    assert len(zh_docs) == len(docstrings(en))
    untranslated = [text.splitlines()[0] for text in zh_docs if not CJK.search(text)]
    assert not untranslated, f"{chinese.name}: docstrings still in English: {untranslated}"
    # As many comments, translated too, with the same lint suppressions.
    en_comments, zh_comments = comments(en), comments(zh)
    assert len(en_comments) == len(zh_comments)
    for (_, en_text), (_, zh_text) in zip(en_comments, zh_comments, strict=True):
        assert NOQA.findall(en_text) == NOQA.findall(zh_text), (en_text, zh_text)


def test_the_code_comparison_sees_a_changed_line() -> None:
    en = '"""Doc."""\n\ndef f(x):\n    """Doc."""\n    return x + 1  # note\n'
    assert code_without_docstrings(en) == code_without_docstrings(
        '"""文档。"""\n\ndef f(x):\n    """文档。"""\n    return x + 1  # 注释\n'
    )
    assert code_without_docstrings(en) != code_without_docstrings(
        '"""文档。"""\n\ndef f(x):\n    """文档。"""\n    return x + 2\n'
    )
