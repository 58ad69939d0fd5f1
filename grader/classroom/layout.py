"""Where a student's files are in what an LMS hands out: one rule for class, Gradescope and CI.

A student's exercise files are at the top of their folder, or in one nested folder: `exercises/`
or the single folder a zip download wraps everything in. A submissions folder holds one folder
per student, or one zip per student (unpacked safely into the output folder), or both. A
submission with no exercise file is `missing`, one that cannot be read is `unreadable`: never a
silent 0.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader import catalog

IGNORED = ("__MACOSX", "__pycache__")
NESTED = "exercises"
MAX_UNPACKED = 64 << 20  # bytes one student's zip may unpack to
MAX_MEMBERS = 2000
MISSING, UNREADABLE = "missing", "unreadable"


@dataclass(frozen=True)
class Submission:
    """One student: the folder that holds their files, and why it cannot be graded (if so)."""

    id: str
    folder: Path
    problem: str = ""  # "", "missing" or "unreadable"
    detail: str = ""


def exercise_names() -> set[str]:
    """File names that count as a student's exercise files (scripts or notebooks)."""
    files = {e.file for e in catalog.exercises()}
    return files | {f.removesuffix(".py") + ".ipynb" for f in files}


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as found:
        return [e for e in found if not e.name.startswith(".") and e.name not in IGNORED]


def files_folder(folder: Path) -> Path:
    """The folder that holds the student's exercise files: `folder`, or one nested folder.

    OSError when `folder` cannot be listed. Symlinked folders are never followed.
    """
    names = exercise_names()
    entries = _entries(folder)
    if any(e.name in names for e in entries):
        return Path(folder)
    folders = [e for e in entries if e.is_dir(follow_symlinks=False)]
    preferred = [e for e in folders if e.name == NESTED] or (folders if len(folders) == 1 else [])
    for entry in preferred:
        try:
            if any(e.name in names for e in _entries(Path(entry.path))):
                return Path(entry.path)
        except OSError:
            continue
    return Path(folder)


def locate(student: str, folder: Path) -> Submission:
    """The student's submission in `folder`, with `missing`/`unreadable` when it is so."""
    try:
        where = files_folder(folder)
        present = [e.name for e in _entries(where) if e.name in exercise_names()]
    except OSError as exc:
        return Submission(student, Path(folder), UNREADABLE, exc.strerror or str(exc))
    if not present:
        return Submission(student, where, MISSING, "no exercise file in the submission")
    unreadable = [n for n in present if not os.access(where / n, os.R_OK)]
    if unreadable and len(unreadable) == len(present):
        return Submission(student, where, UNREADABLE, f"cannot read {', '.join(unreadable)}")
    return Submission(student, where)


def unpack(archive: Path, into: Path) -> str:
    """Unpack a student's zip into the empty folder `into`; an error message, or "" when done.

    Only regular files with plain relative names are written (no links, no `..`, no absolute
    paths), within a total size and count, so a hostile zip cannot write outside `into`.
    """
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                return f"the zip holds more than {MAX_MEMBERS} files"
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                return f"the zip unpacks to more than {MAX_UNPACKED >> 20} MiB"
            for member in members:
                mode = member.external_attr >> 16
                parts = Path(member.filename).parts
                plain = parts and not Path(member.filename).is_absolute() and ".." not in parts
                kind = stat.S_IFMT(mode)  # 0 when the zip says nothing about it
                if member.is_dir() or not plain or (kind and kind != stat.S_IFREG):
                    continue
                target = into.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, open(target, "xb") as sink:
                    shutil.copyfileobj(source, sink)
                stamp = _zip_time(member)
                os.utime(target, (stamp, stamp))
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        return f"cannot unpack the zip: {exc}"
    return ""


def _zip_time(member: zipfile.ZipInfo) -> float:
    """A zip entry's modification time (local time, as zip stores it) as a timestamp."""
    import time

    try:
        return time.mktime((*member.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def submissions(root: Path, unpacked: Path) -> list[Submission]:
    """Every student of `root`, sorted by id: sub-folders, and zips unpacked into `unpacked`.

    A folder and a zip with the same name are one student: the folder wins.
    """
    found: dict[str, Submission] = {}
    for entry in sorted(_entries(root), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            found[entry.name] = locate(entry.name, path)
        elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(".zip"):
            student = entry.name[: -len(".zip")]
            if student in found or not student:
                continue
            problem = unpack(path, unpacked / student)
            found[student] = (
                Submission(student, unpacked / student, UNREADABLE, problem)
                if problem
                else locate(student, unpacked / student)
            )
    return [found[s] for s in sorted(found)]


if __name__ == "__main__":  # `python -m grader.classroom.layout FOLDER`: the Gradescope bundle
    import sys

    try:
        print(files_folder(Path(sys.argv[1])))
    except (IndexError, OSError):
        sys.exit(1)
