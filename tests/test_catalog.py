"""Meta-tests over the catalog and the exercise files (the rustlings rule set)."""

from __future__ import annotations

import ast
import importlib
import inspect
import string
from pathlib import Path

import pytest

from grader import catalog
from grader.engine.run import RunOptions, grade
from grader.results import ExerciseResult

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = catalog.exercises()


def _signatures(path: Path) -> dict[str, list[str]]:
    """Parameter names of each top-level function and class (its __init__) of a file."""
    found: dict[str, list[str]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = [a.arg for a in node.args.args]
        elif isinstance(node, ast.ClassDef):
            init = next(
                (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None,
            )
            found[node.name] = [a.arg for a in init.args.args[1:]] if init else []
    return found


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_stub_and_reference_define_the_catalog_api_alike(exercise: catalog.Exercise) -> None:
    """The curriculum contract itself lives outside the repository (`.ci/run` checks it)."""
    stub = _signatures(ROOT / "exercises" / exercise.file)
    reference = _signatures(ROOT / "solutions" / exercise.file)
    for name in exercise.api:
        assert name in stub and name in reference, f"{exercise.id}: {name} is not defined"
        assert stub[name] == reference[name], (exercise.id, name, stub[name], reference[name])


def test_ids_and_files_are_unique() -> None:
    ids = [e.id for e in EXERCISES]
    files = [e.file for e in EXERCISES]
    assert len(set(ids)) == len(ids), ids
    assert len(set(files)) == len(files), files
    assert ids == [f"exercise{n}" for n in range(1, len(ids) + 1)]


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_entry_is_complete(exercise: catalog.Exercise) -> None:
    assert catalog.hint_problems(exercise) == []
    assert set(exercise.ladders) == set(exercise.api), "one hint ladder per function"
    assert exercise.title.get("en", "").strip() and exercise.concepts
    assert exercise.checks and all(c.points > 0 and c.title.get("en") for c in exercise.checks)
    assert len({c.id for c in exercise.checks}) == len(exercise.checks)
    for mistake_id, text in exercise.mistakes.items():
        assert isinstance(text, dict) and text.get("en", "").strip(), mistake_id


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_check_module_matches_catalog(exercise: catalog.Exercise) -> None:
    module = importlib.import_module(f"grader.checks.{exercise.stem}")
    marked = [
        fn.grader_check.id for _, fn in inspect.getmembers(module) if hasattr(fn, "grader_check")
    ]
    tests = [
        name
        for name, _ in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("test_")
    ]
    assert sorted(marked) == sorted(c.id for c in exercise.checks)
    assert len(tests) == len(marked), "every test_ function needs a @check marker"
    importlib.import_module(f"grader.probes.{exercise.stem}")
    source = (ROOT / "grader" / "checks" / exercise.file).read_text()
    used = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in exercise.mistakes
    }
    assert used, f"{exercise.id}: no check names any mistake"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_stub_teaches_and_is_not_started(exercise: catalog.Exercise) -> None:
    path = ROOT / "exercises" / exercise.file
    tree = ast.parse(path.read_text())
    assert ast.get_docstring(tree), "the stub file needs a module docstring that teaches"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in exercise.api:
            assert ast.get_docstring(node), f"{node.name} needs a docstring"
    run = grade(RunOptions(workspace=ROOT / "exercises", exercises=(exercise,), device="cpu"))
    assert run.exercises[0].status == "not_started", run.exercises[0]


@pytest.fixture(scope="module")
def references(grading_jobs: int) -> dict[str, ExerciseResult]:
    """Every reference graded once with the default budget, in parallel jobs."""
    run = grade(
        RunOptions(
            workspace=ROOT / "solutions", exercises=EXERCISES, device="all", jobs=grading_jobs
        )
    )
    return {e.id: e for e in run.exercises}


@pytest.mark.slow
@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.id)
def test_reference_solution_passes(exercise: catalog.Exercise, references) -> None:
    result = references[exercise.id]
    failing = [
        (c.name, c.device, c.message)
        for c in result.checks
        if c.status not in ("passed", "skipped")
    ]
    assert result.status == "passed", (result.reason, failing)
    assert result.score == result.max_score
    assert "#" in (ROOT / "solutions" / exercise.file).read_text(), (
        "reference solutions are commented"
    )


MESSAGE_TABLES = sorted(Path(catalog.PACKAGE_DIR).rglob("*messages*.toml"))


@pytest.mark.parametrize("path", MESSAGE_TABLES, ids=lambda p: p.name)
def test_message_tables_say_everything_in_every_language(path: Path) -> None:
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(table) == set(catalog.LANGUAGES), path
    english = table["en"]
    for lang, phrases in table.items():
        assert phrases.keys() == english.keys(), (lang, english.keys() ^ phrases.keys())
        for key, text in phrases.items():
            assert text.strip(), (lang, key)
            assert placeholders(text) == placeholders(english[key]), (lang, key)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_an_adopted_catalog_is_not_read_again(tmp_path: Path) -> None:
    """The checking process takes the catalogs the grader parsed instead of parsing them again."""
    missing = tmp_path / "catalog.toml"  # never written: reading it would fail
    shipped = catalog.load()
    catalog.adopt({missing: shipped[:2]})
    try:
        assert catalog.load(missing) == shipped[:2]
        assert missing in catalog.parsed()
    finally:
        catalog._parsed.pop(missing, None)
