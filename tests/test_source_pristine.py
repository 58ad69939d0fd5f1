"""An exercise whose stub is working code with a bug: untouched means the same code as shipped."""

from __future__ import annotations

from pathlib import Path

from grader import source

PRISTINE = '''
def swish(x):
    """Docstring in English."""
    out = x.sigmoid()
    out *= x  # the bug
    return out


class MLP:
    """A class."""

    def __init__(self, sizes):
        """Init."""
        self.layers = []
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_unchanged_working_stub_is_not_started(tmp_path: Path) -> None:
    pristine = write(tmp_path, "stub.py", PRISTINE)
    learner = write(tmp_path, "mine.py", PRISTINE)
    assert source.read(learner, pristine=pristine).not_started(("swish", "MLP"))


def test_other_docstrings_and_comments_still_count_as_untouched(tmp_path: Path) -> None:
    pristine = write(tmp_path, "stub.py", PRISTINE)
    translated = PRISTINE.replace("Docstring in English.", "中文文档。").replace(
        "# the bug", "# 这里有错"
    )
    learner = write(tmp_path, "mine.py", translated.replace('"""Init."""', '"""初始化。"""'))
    assert source.read(learner, pristine=pristine).not_started(("swish", "MLP"))


def test_a_changed_line_starts_the_exercise(tmp_path: Path) -> None:
    pristine = write(tmp_path, "stub.py", PRISTINE)
    learner = write(tmp_path, "mine.py", PRISTINE.replace("out *= x", "out = out * x"))
    facts = source.read(learner, pristine=pristine)
    assert facts.stubs == {"MLP"}
    assert not facts.not_started(("swish", "MLP"))


def test_without_a_pristine_copy_working_code_is_started(tmp_path: Path) -> None:
    learner = write(tmp_path, "mine.py", PRISTINE)
    assert not source.read(learner).not_started(("swish", "MLP"))
    assert not source.read(learner, pristine=tmp_path / "missing.py").not_started(("swish",))


def test_unchanged_working_code_is_told_apart_from_raise_stubs(tmp_path: Path) -> None:
    pristine = write(
        tmp_path, "stub.py", PRISTINE + "\n\ndef todo():\n    raise NotImplementedError\n"
    )
    learner = write(tmp_path, "mine.py", pristine.read_text())
    facts = source.read(learner, pristine=pristine)
    assert facts.stubs == {"swish", "MLP", "todo"}
    assert facts.unchanged == {"swish", "MLP"}
