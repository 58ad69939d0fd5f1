"""`grade init-ci`: the GitHub workflow and the Gradescope bundle, run as Gradescope runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import catalog
from grader.cli.app import cli

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUICK = "--device cpu --max-examples 5"
GRADESCOPE_FIELDS = {"score", "execution_time", "output", "tests"}


def invoke(*args: str):
    """`grade ARGS` through the real group (it installs the course of --checks/GRADE_CHECKS)."""
    return CliRunner().invoke(cli, list(args))


def yaml_steps(text: str) -> list[dict[str, str]] | None:
    """The steps of the workflow's one job as PyYAML reads them (None without PyYAML)."""
    try:
        import yaml
    except ImportError:
        return None
    data = yaml.safe_load(text)
    assert {"name", "permissions", "jobs"} <= set(data) and (True in data or "on" in data)
    (job,) = data["jobs"].values()
    return [{k: str(v) for k, v in step.items()} for step in job["steps"]]


def text_steps(text: str) -> list[dict[str, str]]:
    """The steps of the workflow's one job, read line by line (PyYAML is no dependency)."""
    assert "\t" not in text, "YAML forbids tabs for indentation"
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    top = [line for line in lines if not line.startswith(" ")]
    assert top == ["name: grade", "on:", "permissions:", "jobs:"], top
    steps: list[dict[str, str]] = []
    block = None
    for line in lines[lines.index("    steps:") + 1 :]:
        match = re.match(r"^      (- |  )([\w-]+):(?: (.*))?$", line)
        if match:
            if match.group(1) == "- ":
                steps.append({})
            value = (match.group(3) or "").split("  #")[0].strip().strip('"')
            steps[-1][match.group(2)] = "" if value == "|" else value
            block = match.group(2) if value in ("|", "") else None
        else:
            assert block and line.startswith(" " * 10), f"unexpected line: {line!r}"
            steps[-1][block] += line.strip() + "\n"
    return steps


def test_github_workflow_grades_reports_and_then_fails(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "exercises").mkdir()
    monkeypatch.chdir(tmp_path)
    result = invoke("init-ci", "github")
    assert result.exit_code == 0, result.output
    text = (tmp_path / ".github" / "workflows" / "grade.yml").read_text()
    parsed = yaml_steps(text)
    if parsed is not None:
        assert_workflow_steps(parsed)
    assert_workflow_steps(text_steps(text))


def assert_workflow_steps(steps: list[dict[str, str]]) -> None:
    """Install, grade without failing yet, upload and publish always, then fail if needed."""
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout@v") for u in uses)
    assert any(u.startswith("actions/setup-python@v") for u in uses)
    install = next(s["run"] for s in steps if "download.pytorch.org" in s.get("run", ""))
    assert re.search(r"torch==[\d.]+ torchvision==[\d.]+", install)
    assert "pip install ." not in install  # never the grader of the students' repository
    grading = next(s for s in steps if "grade" in s.get("run", "") and "check all" in s["run"])
    assert grading["run"].startswith("sudo ")  # as root: learner code is isolated
    for flag in ("--thorough", "--seed random", "--html report.html", "--junit junit.xml"):
        assert flag in grading["run"]
    assert grading["continue-on-error"].lower() == "true" and grading["id"] == "grade"
    after = steps[steps.index(grading) + 1 :]
    upload = next(s for s in after if s.get("uses", "").startswith("actions/upload-artifact@v"))
    assert upload["if"] == "always()" and "report.html" in str(upload.get("with", upload))
    junit = next(
        s for s in after if re.match(r"^mikepenz/action-junit-report@v\d+$", s.get("uses", ""))
    )
    assert junit["if"] == "always()"
    assert "exit 1" in after[-1]["run"] and "steps.grade.outcome" in after[-1]["if"]


def test_github_workflow_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "grade.yml"
    out.write_text("mine\n")
    result = invoke("init-ci", "github", "--out", str(out))
    assert result.exit_code == 1 and "--force" in result.output, result.output
    assert out.read_text() == "mine\n"
    result = invoke("init-ci", "github", "--out", str(out), "--force")
    assert result.exit_code == 0 and "check all" in out.read_text(), result.output


def test_private_checks_inside_the_repository_are_passed(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "course" / "checks").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADE_CHECKS", str(tmp_path / "course"))
    result = invoke("init-ci", "github", "--out", "grade.yml")
    assert result.exit_code == 0, result.output
    assert '"$(command -v grade)" --checks course check all' in (tmp_path / "grade.yml").read_text()
    assert "students' repository" in result.output  # they could read and change them


def test_private_checks_and_the_grader_come_from_the_instructor(tmp_path: Path) -> None:
    out = tmp_path / "grade.yml"
    source = "torch-grader @ git+https://example.org/prof/grader@abc123"
    result = invoke(
        "init-ci",
        "github",
        "--out",
        str(out),
        "--checks-repo",
        "prof/checks",
        "--grader-source",
        source,
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    steps = text_steps(text)
    fetch = next(s for s in steps if "private checks" in s.get("name", ""))
    assert "repository: prof/checks" in fetch["with"]
    assert "persist-credentials: false" in fetch["with"]  # no token left for learner code
    assert f'pip install "{source}"' in text
    assert "--checks private-checks check all" in text


def build_bundle(tmp_path: Path, *extra: str) -> Path:
    bundle = tmp_path / "autograder.zip"
    result = invoke("init-ci", "gradescope", str(bundle), *extra)
    assert result.exit_code == 0, result.output
    return bundle


def test_bundle_has_the_scripts_the_grader_and_every_exercise(tmp_path: Path) -> None:
    bundle = build_bundle(tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        listed = archive.read("exercises.txt").decode().split()
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, f"{script} must be executable"
    assert {"grader-src/pyproject.toml", "grader-src/grader/catalog.toml"} <= names
    assert "grader-src/grader/cli/app.py" in names and "checks/catalog.toml" not in names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert listed == [e.file for e in catalog.exercises()]
    assert "apt-get install" in setup and "python3-pip" in setup and "python3-venv" in setup
    assert "download.pytorch.org/whl/cpu" in setup and "torch" in setup
    assert 'pip install -c "$SOURCE/constraints.txt" "$SOURCE/grader-src"' in setup
    assert "/usr/local/bin/grade" in setup
    assert re.search(r"torch==[\d.]+ torchvision==[\d.]+", setup)  # the versions built with
    with zipfile.ZipFile(bundle) as archive:
        pins = archive.read("constraints.txt").decode()
    assert re.search(r"^hypothesis==[\d.]+$", pins, re.MULTILINE)
    assert invoke("init-ci", "gradescope", str(bundle)).exit_code == 1  # no overwrite


def test_bundled_grader_builds_with_its_data_files(tmp_path: Path) -> None:
    pytest.importorskip("setuptools", minversion="70.1", reason="builds the wheel offline")
    with zipfile.ZipFile(build_bundle(tmp_path)) as archive:
        archive.extractall(tmp_path / "source")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q"]
        + ["-w", str(tmp_path / "wheel"), str(tmp_path / "source" / "grader-src")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "wheel").glob("torch_grader-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {
        f"grader/{p.relative_to(ROOT / 'grader').as_posix()}"
        for p in [
            ROOT / "grader" / "catalog.toml",
            ROOT / "grader" / "messages.toml",
            ROOT / "grader" / "checks" / "pytest.ini",
            ROOT / "grader" / "instructor" / "ci_templates" / "run_autograder",
            ROOT / "grader" / "stubs" / "exercise01_squeeze.py",
        ]
    }
    assert packaged <= names, packaged - names


def gradescope_root(tmp_path: Path, bundle: Path) -> Path:
    """A folder laid out as Gradescope lays out /autograder."""
    root = tmp_path / "autograder"
    for part in ("source", "submission", "results"):
        (root / part).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            archive.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    return root


def run_autograder(root: Path, path: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_CHECKS", "GRADE_CATALOG")}
    env.update(
        AUTOGRADER_ROOT=str(root),
        PATH=path or f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        GRADE_CHECK_OPTIONS=QUICK,
    )
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    assert GRADESCOPE_FIELDS - {"execution_time"} <= set(data), data
    assert isinstance(data["score"], (int, float)) and isinstance(data["tests"], list)
    return data


@pytest.mark.slow
def test_run_autograder_grades_files_in_one_nested_folder(tmp_path: Path) -> None:
    root = gradescope_root(tmp_path, build_bundle(tmp_path, "--hide-checks"))
    nested = root / "submission" / "exercises"  # a zip of the exercises folder
    nested.mkdir(parents=True)
    (root / "submission" / "__MACOSX").mkdir()
    helped = (ROOT / "solutions" / "exercise01_squeeze.py").read_text()
    (nested / "exercise01_squeeze.py").write_text("import helpers\n" + helped)
    (nested / "helpers.py").write_text("ANSWER = 42\n")  # the student's own module imports
    (nested / "exercise02_to_numpy.py").write_text("def to_numpy(:\n")
    data = run_autograder(root)
    text = json.dumps(data)
    assert str(tmp_path) not in text and "/tmp/" not in text  # no path of the grading machine
    assert "seed" not in data["output"] or "private" in data["output"]
    assert {t["visibility"] for t in data["tests"] if "[cpu]" in t["name"]} == {"after_due_date"}
    assert GRADESCOPE_FIELDS <= set(data)
    assert data["score"] == catalog.find("exercise1").max_score
    first = [t for t in data["tests"] if t["name"].startswith("exercise1:")]
    assert first and all(t["status"] == "passed" for t in first)
    (second,) = [t for t in data["tests"] if t["name"].startswith("exercise2:")]
    assert second["status"] == "failed" and "syntax" in second["output"]
    assert "exercise03_train_step.py" in data["output"]  # named as not found


def fake_grade(folder: Path, body: str) -> str:
    """A PATH whose `grade` is a stand-in that misbehaves as `body` says."""
    folder.mkdir()
    script = folder / "grade"
    script.write_text(f"#!/usr/bin/env bash\n{body}\n")
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.mark.parametrize(
    "body",
    [
        'echo "Traceback (most recent call last): RuntimeError: grader bug" >&2; exit 70',
        'for a in "$@"; do [ -n "${last:-}" ] && echo "{not json" > "$a"; '
        'last=; [ "$a" = --gradescope ] && last=1; done; exit 1',
        "kill -SEGV $$",
    ],
    ids=["crash", "garbage", "signal"],
)
def test_a_crashing_grader_still_leaves_valid_results(tmp_path: Path, body: str) -> None:
    root = gradescope_root(tmp_path, build_bundle(tmp_path))
    shutil.copy(ROOT / "solutions" / "exercise01_squeeze.py", root / "submission")
    data = run_autograder(root, path=fake_grade(tmp_path / "bin", body))
    assert data["score"] == 0 and data["tests"] == []
    assert "could not grade this submission" in data["output"]
    if "grader bug" in body:
        assert "status 70" in data["output"] and "grader bug" in data["output"]


@pytest.mark.slow
def test_private_checks_travel_in_the_bundle_and_are_used(tmp_path: Path) -> None:
    private = tmp_path / "private"
    (private / "checks").mkdir(parents=True)
    (private / "probes").mkdir()
    (private / "solutions").mkdir()
    text = (ROOT / "grader" / "catalog.toml").read_text().replace("points = 2", "points = 5")
    (private / "catalog.toml").write_text(text)
    for piece in ("exercise01_squeeze.py", "exercise01_squeeze.toml"):  # a check and its words
        if (ROOT / "grader" / "checks" / piece).is_file():
            shutil.copy(ROOT / "grader" / "checks" / piece, private / "checks")
    shutil.copy(ROOT / "grader" / "probes" / "exercise01_squeeze.py", private / "probes")
    shutil.copy(ROOT / "solutions" / "exercise01_squeeze.py", private / "solutions")
    bundle = build_bundle(tmp_path, "--checks", str(private))
    names = zipfile.ZipFile(bundle).namelist()
    assert "checks/catalog.toml" in names and "checks/checks/exercise01_squeeze.py" in names
    assert not any(n.startswith("checks/solutions") for n in names), "solutions stay home"
    root = gradescope_root(tmp_path, bundle)
    shutil.copy(ROOT / "solutions" / "exercise01_squeeze.py", root / "submission")
    data = run_autograder(root)
    assert data["score"] == 12  # the private catalog's points, not the shipped 6
