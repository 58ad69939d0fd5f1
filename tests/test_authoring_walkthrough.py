"""docs/authoring.md: the private checks walk-through works as written; no link leaves the repo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "authoring.md"
BLOCK = re.compile(r"<!-- walkthrough -->\s*```bash\n(.*?)```", re.DOTALL)


def test_docs_link_nothing_outside_the_repository() -> None:
    for doc in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)", doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # a web address
            resolved = (doc.parent / target).resolve()
            assert ROOT in resolved.parents, (doc.name, target)
            assert resolved.exists(), (doc.name, target)


@pytest.mark.slow
def test_the_private_checks_walkthrough_works_as_written(tmp_path: Path) -> None:
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for block in blocks:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, (block, done.stdout[-3000:], done.stderr[-3000:])
    assert (tmp_path / "graded" / "gradebook.csv").is_file()
    assert (tmp_path / "autograder.zip").is_file()
    gradebook = (tmp_path / "graded" / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert "ann,12,passed" in gradebook
