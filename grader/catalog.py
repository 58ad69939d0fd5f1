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
from typing import TypeVar

from grader import course

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOG_FILE = PACKAGE_DIR / "catalog.toml"
MESSAGES_FILE = PACKAGE_DIR / "messages.toml"
LANGUAGES = ("en", "zh")
_T = TypeVar("_T")
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
    # Extra credit (`extra_credit = true`): not part of the maximum, earned where it can run,
    # e.g. a check that needs 2 GPUs; so the maximum is the same for everyone on every machine.
    extra_credit: bool = False


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
    mistake_hints: dict = field(default_factory=dict)

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
        """Points available for this exercise: its checks' points, extra credit left out."""
        return sum(c.points for c in self.checks if not c.extra_credit)

    def check(self, check_id: str) -> CheckSpec:
        """The catalog entry of `check_id`; KeyError names the exercise when it is missing."""
        for spec in self.checks:
            if spec.id == check_id:
                return spec
        raise KeyError(f"{self.id} has no check {check_id!r} in the catalog")

    @property
    def ladders(self) -> dict[str, dict]:
        """Hint ladders by function name, in catalog order.

        A catalog may give one ladder for the whole exercise (`hints.en = [...]`, the form of
        older private catalogs): it is then the ladder of every function, under the name "".
        """
        if isinstance(self.hints.get("en"), list):
            return {"": self.hints}
        return {name: ladder for name, ladder in self.hints.items() if isinstance(ladder, dict)}

    def function_of(self, check_id: str) -> str:
        """The function a check exercises: so that a failure gets that function's hints.

        A ladder's `checks` list names its checks explicitly; otherwise the api name that the
        check id starts with (compared without case and underscores: `smallcnn_shapes` is
        SmallCNN's); otherwise the first ladder.
        """
        ladders = self.ladders
        for name, ladder in ladders.items():
            if check_id in ladder.get("checks", ()):
                return name
        squashed = check_id.replace("_", "").lower()
        named = [n for n in ladders if n and squashed.startswith(n.replace("_", "").lower())]
        if named:
            return max(named, key=len)
        return next(iter(ladders), "")

    def _ladder(self, function: str | None, lang: str) -> list[str]:
        ladders = self.ladders
        ladder = ladders.get(function or "") or next(iter(ladders.values()))
        return ladder.get(lang) or ladder["en"]

    def hint(self, level: int, lang: str = "en", function: str | None = None) -> str:
        """Hint number `level` (1-based, clamped) of `function`'s ladder (default: the first)."""
        hints = self._ladder(function, lang)
        return hints[max(0, min(level, len(hints)) - 1)]

    def hint_count(self, function: str | None = None) -> int:
        """How many hints the ladder of `function` (default: the first) has."""
        return len(self._ladder(function, "en"))

    def mistake_hint(self, mistake_id: str, lang: str = "en") -> str:
        """The hint that belongs to a named mistake, or "" when it has none of its own."""
        text = self.mistake_hints.get(mistake_id)
        return pick(text, lang) if text else ""

    def mistake(self, mistake_id: str, lang: str = "en") -> str:
        """The diagnosis text for a named mistake."""
        return pick(self.mistakes[mistake_id], lang)


def hint_problems(exercise: Exercise) -> list[str]:
    """What is wrong with an exercise's hint ladders and mistake hints ([] when nothing)."""
    found: list[str] = []
    ladders = exercise.ladders
    if not ladders:
        found.append("no hints (hints.FUNCTION.en, or hints.en for the whole exercise)")
    for name, ladder in ladders.items():
        where = f"hints.{name}." if name else "hints."
        if not isinstance(ladder.get("en"), list) or not ladder["en"]:
            found.append(f"no English hints ({where}en)")
        for key, hints in ladder.items():
            if key == "checks":
                unknown = sorted(set(hints) - {c.id for c in exercise.checks})
                if unknown:
                    found.append(f"{where}checks names unknown checks {unknown}")
            elif key not in LANGUAGES:
                found.append(f"hints in unknown language {key!r} (known: {LANGUAGES})")
            elif not isinstance(hints, list) or not all(
                isinstance(h, str) and h.strip() for h in hints
            ):
                found.append(f"an empty hint in {where}{key}")
    for mistake_id, text in exercise.mistake_hints.items():
        if mistake_id not in exercise.mistakes:
            found.append(f"mistake_hints.{mistake_id} is not a named mistake")
        if not isinstance(text, dict) or not str(text.get("en", "")).strip():
            found.append(f"mistake_hints.{mistake_id} has no English text")
    return found


def _require(entry: dict, key: str, kind: type[_T], where: str) -> _T:
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
                extra_credit=spec.get("extra_credit", False) is True,
            )
            for cid, spec in checks.items()
        ),
        mistakes=dict(entry.get("mistakes", {})),
        preload=tuple(entry.get("preload", [])),
        mistake_hints=dict(entry.get("mistake_hints", {})),
    )


# The catalogs this process has parsed, by path: parsed once per process (and handed to the
# checking process, which would otherwise parse them again: `parsed()`, `adopt()`).
_parsed: dict[Path, tuple[Exercise, ...]] = {}


def load(path: Path = CATALOG_FILE) -> tuple[Exercise, ...]:
    """Every exercise in the catalog, in curriculum order."""
    path = Path(path)
    if path not in _parsed:
        _parsed[path] = _parse(path)
    return _parsed[path]


def parsed() -> dict[Path, tuple[Exercise, ...]]:
    """The catalogs parsed so far, for a process of this run's own to `adopt()`."""
    return dict(_parsed)


def adopt(catalogs: dict[Path, tuple[Exercise, ...]]) -> None:
    """Take catalogs another trusted process of this run has parsed, as if parsed here."""
    _parsed.update(catalogs)


def _parse(path: Path) -> tuple[Exercise, ...]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"cannot read the catalog {path}: {exc}") from None
    exercises = tuple(
        sorted((_exercise(e) for e in data.get("exercises", [])), key=lambda e: e.number)
    )
    return exercises


def checks_root() -> Path | None:
    """The private checks folder of the course in use (`grade --checks DIR`), if any."""
    return course.current().private


def catalog_path() -> Path:
    """The top catalog layer of the course in use: a private folder's, or the shipped one."""
    return course.current().catalog_file


@cache
def layered(path: Path) -> tuple[Exercise, ...]:
    """The shipped exercises with those of the catalog at `path` put in their place (by id).

    A private entry replaces the shipped entry of the same id as a whole; new ids are added.
    """
    mine = {e.id: e for e in load(CATALOG_FILE)}
    mine.update({e.id: e for e in load(Path(path))})
    return tuple(sorted(mine.values(), key=lambda e: e.number))


def checks_dir() -> Path:
    """Where the hidden check modules of the top layer are: a private folder's, or the shipped."""
    return course.current().checks_dir


def checks_file(stem: str, folder: Path | None = None) -> Path:
    """The check module of the exercise file `stem`: in `folder` (default: the private
    layer) when it is there, else the shipped one, so a private folder overrides per exercise."""
    top = Path(folder) if folder is not None else checks_dir()
    mine = top / f"{stem}.py"
    return mine if mine.is_file() else PACKAGE_DIR / "checks" / f"{stem}.py"


def private_ids() -> set[str]:
    """The exercises a private layer touches: its catalog entries, checks and probes files."""
    root = checks_root()
    if root is None:
        return set()
    mine = (
        {e.id for e in load(root / "catalog.toml")} if (root / "catalog.toml").is_file() else set()
    )
    for exercise in exercises():
        if any((root / part / exercise.file).is_file() for part in ("checks", "probes")):
            mine.add(exercise.id)
    return mine


def probes_for(exercise: Exercise) -> str:
    """The probes the worker loads for `exercise`: a private file path, or the shipped module."""
    mine = course.current().private_file("probes", exercise.file)
    return str(mine) if mine is not None else f"grader.probes.{exercise.stem}"


def exercises() -> tuple[Exercise, ...]:
    """The exercises in use: the shipped ones under the private layer's entries, if any."""
    path = catalog_path()
    return load(path) if path == CATALOG_FILE else layered(path)


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


def closest_ids(text: str) -> list[str]:
    """Exercise ids a person typing `text` probably meant: an exercise's file name or stem
    (`exercise03_train_step.py`), the same number (`exercise03`), or a close spelling."""
    every = exercises()
    name = Path(text).name
    by_file = [e.id for e in every if name in (e.file, e.stem)]
    if by_file:
        return by_file
    ids = [e.id for e in every]
    close = difflib.get_close_matches(text, ids, n=3, cutoff=0.6)
    digits = re.sub(r"\D", "", text)
    if digits and f"exercise{int(digits)}" in ids and f"exercise{int(digits)}" not in close:
        close.insert(0, f"exercise{int(digits)}")
    return close


def did_you_mean(text: str) -> str:
    """' Did you mean 'exercise3'?' for what `text` probably meant, or ''."""
    close = closest_ids(text)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def unknown_id_message(exercise_id: str) -> str:
    """'Unknown exercise ...' with the closest ids, for usage errors."""
    return f"Unknown exercise {exercise_id!r}.{did_you_mean(exercise_id)}"


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
