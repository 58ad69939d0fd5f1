"""`grade verify`: what an instructor runs after writing or editing exercises.

Every reference passes with full score on every device, every stub is not started, every
catalog entry is complete and matches its check module, and every file of the submissions
corpus gets the verdict its first line (`# expect: ...`) promises. Each shortfall is one line.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog
from grader.catalog import Exercise
from grader.sandbox.limits import Limits

EXPECT = re.compile(r"^# expect: (passed|failed|error|not_started)((?:\s+\w+=\S+)*)\s*$")
MIN_ALTERNATIVES = 2
MIN_MISTAKES = 4
AREAS = ("catalog", "checks", "stub", "reference", "corpus")
CORPUS_SECONDS = 30.0  # a corpus file's limit, unless its expect line says timeout=N
REFERENCE_LIMITS = Limits(call_seconds=10.0, exercise_seconds=60.0)


def corpus_limits(details: Mapping[str, str]) -> Limits:
    """The limits a corpus file is graded under: here and in the project's corpus test alike."""
    timeout = float(details.get("timeout", CORPUS_SECONDS))
    return Limits(call_seconds=min(10.0, timeout), exercise_seconds=timeout)


@dataclass(frozen=True)
class Shortfall:
    """One thing that is not as it should be, where it is."""

    where: str
    area: str
    message: str

    def line(self) -> str:
        """The printed form: `exercise3: reference: ...`."""
        return f"{self.where}: {self.area}: {self.message}"


@dataclass(frozen=True)
class Folders:
    """The instructor's folders that verify reads."""

    solutions: Path
    exercises: Path
    submissions: Path
    # Under a private layer: the project's folders, for what the private folder does not hold.
    shipped: Folders | None = None

    def _layer(self, kind: str, name: str) -> Path:
        """The folder of `kind` that holds `name`: this layer's, else the shipped one's."""
        mine = Path(getattr(self, kind))
        if (mine / name).exists() or self.shipped is None:
            return mine
        below = Path(getattr(self.shipped, kind))
        return below if (below / name).exists() else mine

    def solutions_for(self, exercise: Exercise) -> Path:
        """Where the reference of `exercise` is."""
        return self._layer("solutions", exercise.file)

    def stubs_for(self, exercise: Exercise) -> Path:
        """Where the stub of `exercise` is."""
        return self._layer("exercises", exercise.file)

    def corpus_for(self, exercise: Exercise) -> Path:
        """Where the corpus of `exercise` is: a private exerciseN/ replaces that one only."""
        return self._layer("submissions", exercise.id)


@dataclass
class Report:
    """Everything verify found, and how much it looked at."""

    shortfalls: list[Shortfall] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exercises: int = 0
    references: int = 0
    stubs: int = 0
    corpus: int = 0

    @property
    def ok(self) -> bool:
        """Whether nothing fell short."""
        return not self.shortfalls

    def summary(self) -> str:
        """One closing line for the terminal."""
        looked = (
            f"{self.exercises} exercises, {self.references} references, {self.stubs} stubs, "
            f"{self.corpus} corpus files"
        )
        if self.ok:
            return f"verify: all is well ({looked})."
        return f"verify: {len(self.shortfalls)} shortfalls ({looked})."


def project_folder(around: Path) -> Path:
    """The project whose folders verify reads: the checkout the grader runs from when it has
    the references (wherever `grade verify` is typed), else `around` (the current project)."""
    checkout = catalog.PACKAGE_DIR.parent
    if (checkout / "solutions").is_dir() and (checkout / "tests" / "submissions").is_dir():
        return checkout
    return around


def default_folders(project: Path) -> Folders:
    """A private checks folder's solutions/exercises/submissions where it has them, else the project's."""
    root = catalog.checks_root()

    def first(*candidates: Path) -> Path:
        return next((c for c in candidates if c.is_dir()), candidates[-1])

    private: tuple[list[Path], list[Path], list[Path]] = ([], [], [])
    if root is not None:
        private = (
            [root / "solutions"],
            [root / "exercises"],
            [root / "submissions", root / "tests" / "submissions"],
        )
    shipped = Folders(
        solutions=project / "solutions",
        exercises=project / "exercises",
        submissions=project / "tests" / "submissions",
    )
    if root is None:
        return shipped
    return Folders(
        solutions=first(*private[0], shipped.solutions),
        exercises=first(*private[1], shipped.exercises),
        submissions=first(*private[2], shipped.submissions),
        shipped=shipped,
    )


def entry_shortfalls(exercise: Exercise) -> list[Shortfall]:
    """Missing learner-facing text or points in one catalog entry."""
    found: list[str] = catalog.hint_problems(exercise)
    if not str(exercise.title.get("en", "")).strip():
        found.append("no English title")
    if not exercise.concepts:
        found.append("no concepts")
    if not exercise.api:
        found.append("no api names")
    if not exercise.checks:
        found.append("no checks")
    for spec in exercise.checks:
        if spec.points <= 0:
            found.append(f"check {spec.id!r} has {spec.points} points (needs more than 0)")
        if not str(spec.title.get("en", "")).strip():
            found.append(f"check {spec.id!r} has no English title")
    for mistake_id, text in exercise.mistakes.items():
        if not isinstance(text, dict) or not str(text.get("en", "")).strip():
            found.append(f"mistake {mistake_id!r} has no English text")
    if not exercise.mistakes:
        found.append("no mistakes table: no failure can be diagnosed")
    return [Shortfall(exercise.id, "catalog", message) for message in found]


def catalog_shortfalls(exercises: Iterable[Exercise]) -> list[Shortfall]:
    """Duplicate ids or files across the catalog, then each entry's own shortfalls."""
    exercises = list(exercises)
    found: list[Shortfall] = []
    for attribute in ("id", "file"):
        values = [getattr(e, attribute) for e in exercises]
        for value in sorted({v for v in values if values.count(v) > 1}):
            found.append(Shortfall("catalog", "catalog", f"{attribute} {value!r} is used twice"))
    for exercise in exercises:
        found.extend(entry_shortfalls(exercise))
    return found


def _load_module(path: Path, name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, as an import would: a check module finds its own file (and its
    # messages beside it) through sys.modules[__name__].
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def checks_shortfalls(exercise: Exercise, checks_dir: Path) -> list[Shortfall]:
    """Whether the check module defines exactly the catalog's checks and names its mistakes."""

    def short(message: str) -> Shortfall:
        return Shortfall(exercise.id, "checks", message)

    path = catalog.checks_file(exercise.stem, Path(checks_dir))  # the private one, else shipped
    if not path.is_file():
        return [short(f"no check module {path}")]
    try:
        module = _load_module(path, f"_grade_verify_checks.{exercise.stem}")
    except Exception as exc:  # noqa: BLE001 - any failure to import is the shortfall itself
        return [short(f"{path} does not import: {type(exc).__name__}: {exc}")]
    found: list[Shortfall] = []
    marked = [
        f.grader_check.id for _, f in inspect.getmembers(module) if hasattr(f, "grader_check")
    ]
    tests = [n for n, _ in inspect.getmembers(module, inspect.isfunction) if n.startswith("test_")]
    listed = {c.id for c in exercise.checks}
    for check_id in sorted(listed - set(marked)):
        found.append(short(f"catalog check {check_id!r} has no @check in {path.name}"))
    for check_id in sorted(set(marked) - listed):
        found.append(short(f"@check({check_id!r}) is not in the catalog (it would score nothing)"))
    for check_id in sorted({m for m in marked if marked.count(m) > 1}):
        found.append(short(f"@check({check_id!r}) is used twice"))
    if len(tests) != len(marked):
        found.append(short(f"{len(tests)} test_ functions but {len(marked)} @check markers"))
    strings = {
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    if exercise.mistakes and not strings & set(exercise.mistakes):
        found.append(short("no check names any of the catalog's mistakes"))
    probes = catalog.probes_for(exercise)
    if not probes.endswith(".py") and importlib.util.find_spec(probes) is None:
        found.append(short(f"no probes module {probes}"))
    return found


def expectation(path: Path) -> tuple[str, dict[str, str]] | None:
    """The status and details a corpus file's first line promises, or None if it has none."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    match = EXPECT.match(lines[0]) if lines else None
    if not match:
        return None
    return match.group(1), dict(part.split("=", 1) for part in match.group(2).split())


Work = Callable[[str], dict]


def _run_all(
    items: list[str], work: Work, jobs: int, preloads: tuple[str, ...]
) -> dict[str, dict | None]:
    """`work` over `items`, in forked jobs when there is more than one of each.

    The jobs share the process's fork server (with `preloads`): a job that started its own
    would import torch again, seconds of CPU each.
    """
    if jobs > 1 and len(items) > 1:
        from grader.engine.jobs import run_in_jobs
        from grader.sandbox import zygote

        return run_in_jobs(items, work, jobs, server=zygote.get(preloads))
    return {item: work(item) for item in items}


def _grade_one(
    workspace: Path, exercise: Exercise, device: str, max_examples: int, limits: Limits
) -> dict:
    """Grade one exercise file; its verdict as plain data (it travels back from a job)."""
    from grader.engine.run import RunOptions, grade

    run = grade(
        RunOptions(
            workspace=workspace,
            exercises=(exercise,),
            device=device,
            max_examples=max_examples,
            limits=limits,
        )
    )
    result = run.exercises[0]
    return {
        "status": result.status,
        "reason": result.reason,
        "score": result.score,
        "max_score": result.max_score,
        "checks": [
            {
                "name": c.name,
                "device": c.device,
                "status": c.status,
                "mistake": c.mistake,
                "diagnosis": c.diagnosis,
                "message": c.message.split("\n", 1)[0][:200],
            }
            for c in result.checks
        ],
    }


def _reference_verdict(exercise: Exercise, done: dict | None) -> list[str]:
    if done is None:
        return ["the grading job died"]
    if done["status"] == "passed" and done["score"] == done["max_score"]:
        return []
    found = [f"{done['status']} with {done['score']:g}/{done['max_score']:g}"]
    if done["reason"]:
        found[0] += f": {done['reason']}"
    for c in done["checks"]:
        if c["status"] not in ("passed", "skipped"):
            found.append(f"check {c['name']} [{c['device']}] {c['status']}: {c['message']}")
    return found


def _never_ran(exercise: Exercise, done: dict | None) -> list[str]:
    """Checks of a reference run that were skipped on every device: not verified here."""
    by_check: dict[str, list[dict]] = {}
    for c in (done or {}).get("checks", []):
        by_check.setdefault(c["name"], []).append(c)
    return [
        f"{exercise.id}: check {name} was skipped on every device ({runs[0]['message']}): "
        "not verified on this machine"
        for name, runs in by_check.items()
        if all(c["status"] == "skipped" for c in runs)
    ]


def _corpus_verdict(exercise: Exercise, expected: tuple[str, dict], done: dict | None) -> str:
    """Why a corpus file's verdict is not the promised one, or '' when it is."""
    if done is None:
        return "the grading job died"
    status, details = expected
    failing = ", ".join(
        f"{c['name']}={c['mistake'] or c['status']}"
        for c in done["checks"]
        if c["status"] not in ("passed", "skipped")
    )
    if done["status"] != status:
        got = f"{done['status']}" + (f" ({done['reason']})" if done["reason"] else "")
        return f"expected {status}, got {got}" + (f"; failing: {failing}" if failing else "")
    mistake = details.get("mistake")
    if mistake:
        if mistake not in exercise.mistakes:
            return f"names mistake {mistake!r}, which is not in the catalog"
        named = {c["mistake"] for c in done["checks"] if c["status"] == "failed"}
        if mistake not in named:
            return f"expected mistake {mistake!r}, diagnosed {sorted(named) or 'none'}"
        text = exercise.mistake(mistake, "en")
        if not any(c["diagnosis"] == text for c in done["checks"]):
            return f"mistake {mistake!r} was named but its catalog text was not shown"
    reason = details.get("reason")
    if reason and not done["reason"].startswith(reason):
        return f"expected a reason starting {reason!r}, got {done['reason']!r}"
    if status == "failed" and done["score"] >= done["max_score"]:
        return "failed, yet got full score"
    return ""


def verify(
    exercises: Iterable[Exercise],
    folders: Folders,
    *,
    jobs: int = 1,
    max_examples: int = 20,
    checks_dir: Path | None = None,
    every_exercise: Iterable[Exercise] | None = None,
) -> Report:
    """Check the selected exercises end to end; `every_exercise` is the whole catalog in use."""
    exercises = list(exercises)
    checks_dir = Path(checks_dir or catalog.checks_dir())
    report = Report(exercises=len(exercises))
    report.shortfalls.extend(
        s
        for s in catalog_shortfalls(every_exercise or exercises)
        if s.where == "catalog" or s.where in {e.id for e in exercises}
    )
    for exercise in exercises:
        report.shortfalls.extend(checks_shortfalls(exercise, checks_dir))
    report.shortfalls.extend(_stubs(exercises, folders, report))
    with tempfile.TemporaryDirectory(prefix="grade-verify-") as scratch:
        items, work = _grading_work(exercises, folders, Path(scratch), max_examples, report)
        done = _run_all(list(items), work, jobs, catalog.preloads(exercises))
        for item, (exercise, expected) in items.items():
            if expected is None:
                for message in _reference_verdict(exercise, done.get(item)):
                    report.shortfalls.append(Shortfall(exercise.id, "reference", message))
                report.notes.extend(_never_ran(exercise, done.get(item)))
            else:
                why = _corpus_verdict(exercise, expected, done.get(item))
                if why:
                    report.shortfalls.append(Shortfall(exercise.id, "corpus", f"{item}: {why}"))
    order = {e.id: i for i, e in enumerate(exercises)}
    report.shortfalls.sort(key=lambda s: (order.get(s.where, -1), AREAS.index(s.area)))
    return report


def _stubs(exercises: list[Exercise], folders: Folders, report: Report) -> list[Shortfall]:
    """Every stub exists and reads as not started (decided from its source, no worker needed)."""
    from grader import source
    from grader.reset import stub_path

    found: list[Shortfall] = []
    for exercise in exercises:
        path = folders.stubs_for(exercise) / exercise.file
        # Compared with the stub the grader ships or keeps, never with the file being checked.
        pristine = stub_path(exercise)
        same = pristine.resolve() == path.resolve()
        facts = source.read(path, pristine=None if same else pristine)
        report.stubs += facts.exists
        if not facts.exists:
            found.append(Shortfall(exercise.id, "stub", f"missing stub file {path}"))
        elif facts.syntax_error:
            found.append(Shortfall(exercise.id, "stub", f"syntax error: {facts.syntax_error}"))
        elif not facts.not_started(exercise.api):
            found.append(Shortfall(exercise.id, "stub", f"{path} does not read as not started"))
    return found


def _grading_work(
    exercises: list[Exercise],
    folders: Folders,
    scratch: Path,
    max_examples: int,
    report: Report,
) -> tuple[dict[str, tuple[Exercise, tuple | None]], Work]:
    """Items to grade (references and corpus files, each in its own workspace) and the work."""
    items: dict[str, tuple[Exercise, tuple | None]] = {}
    places: dict[str, tuple[Path, str, Limits]] = {}
    for exercise in exercises:
        reference = folders.solutions_for(exercise) / exercise.file
        if reference.is_file():
            item = f"reference/{exercise.file}"
            items[item] = (exercise, None)
            places[item] = (reference.parent, "all", REFERENCE_LIMITS)
            report.references += 1
        else:
            report.shortfalls.append(
                Shortfall(exercise.id, "reference", f"missing reference {reference}")
            )
        report.shortfalls.extend(_corpus_items(exercise, folders, scratch, items, places, report))

    by_item = {item: exercise for item, (exercise, _) in items.items()}

    def work(item: str) -> dict:
        workspace, device, limits = places[item]
        return _grade_one(workspace, by_item[item], device, max_examples, limits)

    return items, work


def _corpus_items(
    exercise: Exercise,
    folders: Folders,
    scratch: Path,
    items: dict,
    places: dict,
    report: Report,
) -> list[Shortfall]:
    """Queue each corpus file of `exercise` in a workspace of its own; coverage shortfalls."""
    folder = folders.corpus_for(exercise) / exercise.id
    files = sorted(folder.glob("*.py"))
    found: list[Shortfall] = []
    statuses: list[str] = []
    named = 0
    for path in files:
        expected = expectation(path)
        if expected is None:
            found.append(
                Shortfall(exercise.id, "corpus", f"{path.name}: first line is not '# expect: ...'")
            )
            continue
        statuses.append(expected[0])
        named += "mistake" in expected[1]
        workspace = scratch / exercise.id / path.stem
        workspace.mkdir(parents=True)
        shutil.copyfile(path, workspace / exercise.file)
        item = f"{exercise.id}/{path.name}"
        items[item] = (exercise, expected)
        places[item] = (workspace, "cpu", corpus_limits(expected[1]))
        report.corpus += 1
    if statuses.count("passed") < MIN_ALTERNATIVES:
        found.append(
            Shortfall(
                exercise.id,
                "corpus",
                f"{statuses.count('passed')} correct alternatives in {folder} "
                f"(needs {MIN_ALTERNATIVES})",
            )
        )
    if named < MIN_MISTAKES:
        found.append(
            Shortfall(
                exercise.id,
                "corpus",
                f"{named} named mistakes in {folder} (needs {MIN_MISTAKES})",
            )
        )
    return found
