"""The exercise catalog: every exercise, its checks, points, hints and named mistakes, as data.

Learner-facing text lives in `catalog.toml` (per language, English always present) and in
`messages.toml` for the grader's own phrases, so that a translation never touches code.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOG_FILE = PACKAGE_DIR / "catalog.toml"
MESSAGES_FILE = PACKAGE_DIR / "messages.toml"
LANGUAGES = ("en", "zh")
_ID = re.compile(r"^exercise[1-9][0-9]*$")


class CatalogError(Exception):
    """The catalog file is malformed.

    Cause: a missing or mistyped field in `catalog.toml` (the message names the exercise and
    field). Remedy: fix that entry; `grade verify` lists every problem at once.
    """


def pick(text: dict | str, lang: str) -> str:
    """The text in `lang`, falling back to English."""
    if isinstance(text, str):
        return text
    return text.get(lang) or text["en"]


@dataclass(frozen=True)
class CheckSpec:
    """One scored check of an exercise, as the catalog lists it."""

    id: str
    points: int
    title: dict


@dataclass(frozen=True)
class Exercise:
    """One exercise: where its files are, what it teaches, how it is scored."""

    id: str
    file: str
    title: dict
    concepts: tuple[str, ...]
    api: tuple[str, ...]
    hints: dict
    checks: tuple[CheckSpec, ...]
    mistakes: dict = field(default_factory=dict)
    preload: tuple[str, ...] = ()

    @property
    def number(self) -> int:
        """The N of exerciseN, for ordering."""
        return int(self.id.removeprefix("exercise"))

    @property
    def stem(self) -> str:
        """The file name without `.py`: also the name of its checks and probes modules."""
        return self.file.removesuffix(".py")

    @property
    def max_score(self) -> int:
        """Points available for this exercise."""
        return sum(c.points for c in self.checks)

    def check(self, check_id: str) -> CheckSpec:
        """The catalog entry of `check_id`; KeyError names the exercise when it is missing."""
        for spec in self.checks:
            if spec.id == check_id:
                return spec
        raise KeyError(f"{self.id} has no check {check_id!r} in the catalog")

    def hint(self, level: int, lang: str = "en") -> str:
        """Hint number `level` (1-based, clamped to the last one)."""
        hints = self.hints.get(lang) or self.hints["en"]
        return hints[max(0, min(level, len(hints)) - 1)]

    def hint_count(self) -> int:
        """How many hints this exercise has."""
        return len(self.hints["en"])

    def mistake(self, mistake_id: str, lang: str = "en") -> str:
        """The diagnosis text for a named mistake."""
        return pick(self.mistakes[mistake_id], lang)


def _require(entry: dict, key: str, kind: type, where: str) -> object:
    if key not in entry:
        raise CatalogError(f"{where}: missing field {key!r}")
    if not isinstance(entry[key], kind):
        raise CatalogError(f"{where}: field {key!r} should be {kind.__name__}, got {entry[key]!r}")
    return entry[key]


def _exercise(entry: dict) -> Exercise:
    where = f"catalog entry {entry.get('id', '?')!r}"
    checks = _require(entry, "checks", dict, where)
    return Exercise(
        id=_require(entry, "id", str, where),
        file=_require(entry, "file", str, where),
        title=_require(entry, "title", dict, where),
        concepts=tuple(_require(entry, "concepts", list, where)),
        api=tuple(_require(entry, "api", list, where)),
        hints=_require(entry, "hints", dict, where),
        checks=tuple(
            CheckSpec(
                id=cid,
                points=int(_require(spec, "points", int, f"{where} check {cid!r}")),
                title=_require(spec, "title", dict, f"{where} check {cid!r}"),
            )
            for cid, spec in checks.items()
        ),
        mistakes=dict(entry.get("mistakes", {})),
        preload=tuple(entry.get("preload", [])),
    )


@cache
def load(path: Path = CATALOG_FILE) -> tuple[Exercise, ...]:
    """Every exercise in the catalog, in curriculum order."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read the catalog {path}: {exc}") from None
    exercises = tuple(
        sorted((_exercise(e) for e in data.get("exercises", [])), key=lambda e: e.number)
    )
    return exercises


def checks_root() -> Path | None:
    """An instructor's private checks folder (`$GRADE_CHECKS`, set by `grade --checks DIR`).

    It holds `catalog.toml`, `checks/`, `probes/` (and optionally `quiz/bank.toml`), which take
    the place of the shipped ones, so a students' repository need not contain them.
    """
    root = os.environ.get("GRADE_CHECKS")
    return Path(root).resolve() if root else None


def catalog_path() -> Path:
    """The catalog in use: `$GRADE_CATALOG`, a private checks folder's, or the shipped one."""
    if os.environ.get("GRADE_CATALOG"):
        return Path(os.environ["GRADE_CATALOG"])
    root = checks_root()
    return root / "catalog.toml" if root else CATALOG_FILE


def checks_dir() -> Path:
    """Where the hidden check modules are: a private checks folder's, or the shipped ones."""
    root = checks_root()
    return root / "checks" if root else PACKAGE_DIR / "checks"


def probes_for(exercise: Exercise) -> str:
    """The probes the worker loads for `exercise`: a private file path, or the shipped module."""
    root = checks_root()
    if root and (root / "probes" / exercise.file).is_file():
        return str(root / "probes" / exercise.file)
    return f"grader.probes.{exercise.stem}"


def exercises() -> tuple[Exercise, ...]:
    """The exercises of the catalog in use."""
    return load(catalog_path())


def preloads(chosen: tuple[Exercise, ...] | list[Exercise] | None = None) -> tuple[str, ...]:
    """Modules the workers of these exercises (default: all) should find already imported."""
    names = {name for e in (exercises() if chosen is None else chosen) for name in e.preload}
    return tuple(sorted(names))


def find(exercise_id: str) -> Exercise:
    """The exercise with this id, or LookupError naming the closest ids."""
    for exercise in exercises():
        if exercise.id == exercise_id:
            return exercise
    raise LookupError(unknown_id_message(exercise_id))


def unknown_id_message(exercise_id: str) -> str:
    """'Unknown exercise ...' with the closest ids, for usage errors."""
    ids = [e.id for e in exercises()]
    close = difflib.get_close_matches(exercise_id, ids, n=3, cutoff=0.6)
    digits = re.sub(r"\D", "", exercise_id)
    if digits and f"exercise{int(digits)}" in ids and f"exercise{int(digits)}" not in close:
        close.insert(0, f"exercise{int(digits)}")
    suggestion = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"Unknown exercise {exercise_id!r}.{suggestion}"


def is_exercise_id(text: str) -> bool:
    """Whether `text` has the shape of an exercise id (known or not)."""
    return bool(_ID.match(text))


@cache
def _messages() -> dict:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def message(key: str, lang: str = "en", **values: object) -> str:
    """A phrase of the grader's own, in `lang`, with `{placeholders}` filled in."""
    table = _messages()
    text = table.get(lang, {}).get(key) or table["en"][key]
    return text.format(**values)


def language(requested: str | None = None) -> str:
    """The language to speak: the one requested, else from GRADE_LANG or LANG, else English."""
    for candidate in (requested, os.environ.get("GRADE_LANG"), os.environ.get("LANG")):
        if candidate:
            code = candidate.lower()[:2]
            if code in LANGUAGES:
                return code
    return "en"
