"""Starting a private checks folder: the shipped pieces of some exercises, copied to edit.

A private checks folder (`grade --checks DIR`) is a layer over the shipped exercises: what it
holds for an exercise takes the place of the shipped piece, and everything else is inherited.
`grade init-checks DIR exercise3` copies exercise 3's catalog entry, checks, probes, stub,
reference and corpus into DIR, so that an instructor starts from pieces that already verify.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from grader import catalog
from grader.catalog import Exercise

_ENTRY = re.compile(r"^\[\[exercises\]\]\s*$", re.MULTILINE)


def catalog_entries(text: str, ids: set[str]) -> str:
    """The `[[exercises]]` entries of catalog text whose id is in `ids`, as they are written."""
    starts = [m.start() for m in _ENTRY.finditer(text)]
    kept = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        entry = text[start:end]
        found = re.search(r'^id\s*=\s*"([^"]+)"', entry, re.MULTILINE)
        if found and found.group(1) in ids:
            kept.append(entry.rstrip() + "\n")
    return "\n".join(kept)


def start(folder: Path, exercises: list[Exercise], project: Path) -> list[Path]:
    """Copy the shipped pieces of `exercises` into `folder`; the files written.

    FileExistsError when `folder` already has a catalog.toml (nothing is overwritten).
    """
    folder = Path(folder)
    if (folder / "catalog.toml").exists():
        raise FileExistsError(folder / "catalog.toml")
    from grader.course import STUBS_DIR

    written = []
    header = "# A private catalog layer: these entries replace the shipped ones of the same id.\n"
    header += "schema_version = 1\n\n"
    text = catalog_entries(
        catalog.CATALOG_FILE.read_text(encoding="utf-8"), {e.id for e in exercises}
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.toml").write_text(header + text, encoding="utf-8")
    written.append(folder / "catalog.toml")
    for exercise in exercises:
        words = Path(exercise.file).with_suffix(".toml").name  # a check module's messages
        pieces = [
            (catalog.PACKAGE_DIR / "checks" / exercise.file, folder / "checks"),
            (catalog.PACKAGE_DIR / "checks" / words, folder / "checks"),
            (catalog.PACKAGE_DIR / "probes" / exercise.file, folder / "probes"),
            (STUBS_DIR / exercise.file, folder / "exercises"),
            (project / "solutions" / exercise.file, folder / "solutions"),
        ]
        for source, target in pieces:
            if source.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target / source.name)
                written.append(target / source.name)
        corpus = project / "tests" / "submissions" / exercise.id
        if corpus.is_dir():
            shutil.copytree(corpus, folder / "submissions" / exercise.id, dirs_exist_ok=True)
            written.append(folder / "submissions" / exercise.id)
    return written
