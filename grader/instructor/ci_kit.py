"""The classroom CI kit: a GitHub Actions workflow and a Gradescope autograder bundle.

Both grade with the grader itself (`grade check all ...`) and publish its reports; the files
they are made from are in `ci_templates/`, so an instructor can read what will run.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from grader import catalog
from grader.catalog import Exercise

TEMPLATES = Path(__file__).resolve().parent / "ci_templates"
DISTRIBUTION = "torch-grader"
GITHUB_DEFAULT = Path(".github") / "workflows" / "grade.yml"
# Private checks travel without solutions, corpus or anything else the folder may hold.
PRIVATE_PARTS = ("catalog.toml", "checks", "probes", "quiz")
SKIPPED = re.compile(r"(^|/)(__pycache__|\.grade|\.pytest_cache|\.hypothesis)(/|$)|\.pyc$")
EXECUTABLE, REGULAR = 0o755, 0o644
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bundle


def template(name: str) -> str:
    """A file of ci_templates/ as text."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


PRIVATE_CHECKOUT = """\

      - name: Fetch the instructor's private checks
        uses: actions/checkout@v4
        with:
          repository: {repo}
          token: ${{{{ secrets.GRADER_CHECKS_TOKEN }}}}  # a read-only token of that repository
          path: private-checks
          persist-credentials: false  # the token must not stay on disk for learner code
"""
COMMENTED_CHECKOUT = """\

      # Private checks (recommended): keep them in a private repository and fetch them here with
      # a read-only token in the secret GRADER_CHECKS_TOKEN (`grade init-ci github
      # --checks-repo OWNER/NAME` writes this step), then grade with --checks private-checks.
"""
GRADER_PLACEHOLDER = "torch-grader @ git+https://github.com/OWNER/torch-grader"


def pinned_torch() -> str:
    """torch and torchvision pinned to the versions installed here (no local +cpu/+cu tag)."""
    found = []
    for name in ("torch", "torchvision"):
        try:
            found.append(f"{name}=={importlib.metadata.version(name).split('+', 1)[0]}")
        except importlib.metadata.PackageNotFoundError:
            found.append(name)
    return " ".join(found)


def grader_source() -> str | None:
    """A pip requirement for this grader from its own git checkout (origin at HEAD), if any."""
    import subprocess

    project = catalog.PACKAGE_DIR.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(project), *args], capture_output=True, text=True, timeout=10
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    try:
        url, commit = git("config", "--get", "remote.origin.url"), git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return None
    if not url or not commit or not url.startswith(("https://", "git@", "ssh://")):
        return None
    return f"{DISTRIBUTION} @ git+{url}@{commit}"


def github_workflow(
    checks: str | None = None, checks_repo: str | None = None, source: str | None = None
) -> str:
    """The workflow YAML: the grader from `source` (a pip requirement), private checks from
    the repository `checks_repo` (or the folder `checks` of this repository), graded as root
    with a private seed."""
    if checks_repo:
        checkout, option = PRIVATE_CHECKOUT.format(repo=checks_repo), " --checks private-checks"
    else:
        checkout, option = COMMENTED_CHECKOUT, f" --checks {checks}" if checks else ""
    return (
        template("github-workflow.yml")
        .replace("@@TORCH@@", pinned_torch())
        .replace("@@GRADER@@", (source or GRADER_PLACEHOLDER).replace('"', ""))
        .replace("@@CHECKOUT@@\n", checkout)
        .replace("@@CHECKS@@", option)
    )


def write_new(path: Path, data: str | bytes, force: bool = False) -> None:
    """Write `path` atomically; FileExistsError if it exists and `force` is not given."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, REGULAR)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` worth shipping, sorted, as paths relative to it."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not SKIPPED.search(relative.as_posix()):
            found.append(relative)
    return found


def _requirements() -> list[str]:
    """The grader's own dependencies, without optional extras."""
    required = importlib.metadata.requires(DISTRIBUTION) or []
    return [r for r in required if "extra ==" not in r.replace('"', "").replace("'", "")]


def grader_pyproject(package_files: list[Path]) -> str:
    """A pyproject.toml that installs the grader package copied beside it, data files included."""
    version = importlib.metadata.version(DISTRIBUTION)
    modules = {p for p in package_files if p.suffix == ".py"}
    packages = {p.parent for p in modules if p.name == "__init__.py"}
    data = [p.as_posix() for p in package_files if p not in modules or p.parent not in packages]
    lines = [
        "# Generated by `grade init-ci gradescope`: installs the grader copied beside it.",
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{DISTRIBUTION}"',
        f'version = "{version}"',
        'requires-python = ">=3.10"',
        "dependencies = [",
        *(f"    {_toml_string(r)}," for r in _requirements()),
        "]",
        "",
        "[project.scripts]",
        'grade = "grader.cli:main"',
        "",
        "[tool.setuptools.packages.find]",
        'include = ["grader*"]',
        "",
        "[tool.setuptools.package-data]",
        "grader = [",
        *(f"    {_toml_string(p)}," for p in data),
        "]",
    ]
    return "\n".join(lines) + "\n"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bundle_exercises(checks: Path | None) -> tuple[Exercise, ...]:
    """The exercises the bundle grades: those of the private catalog, or of the one in use."""
    private = Path(checks).resolve() / "catalog.toml" if checks is not None else None
    if private is not None and private.is_file():
        return catalog.layered(private)
    return catalog.exercises()


def constraints() -> str:
    """pip constraints pinning the grader's dependencies to the versions installed here."""
    lines = ["# The versions `grade init-ci gradescope` was run with."]
    for requirement in _requirements():
        name = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
        try:
            version = importlib.metadata.version(name).split("+", 1)[0]
        except importlib.metadata.PackageNotFoundError:
            continue
        lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


def gradescope_entries(
    checks: Path | None = None, lang: str = "en", visibility: str = "visible"
) -> dict[str, tuple[bytes, int]]:
    """Every file of the Gradescope bundle: archive name -> (content, mode).

    `visibility` is that of each check's test ("after_due_date" hides the details until then).
    """
    run = template("run_autograder").replace("@@LANG@@", lang)
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (
            template("setup.sh").replace("@@TORCH@@", pinned_torch()).encode(),
            EXECUTABLE,
        ),
        "run_autograder": (run.replace("@@VISIBILITY@@", visibility).encode(), EXECUTABLE),
        "constraints.txt": (constraints().encode(), REGULAR),
        "finish_results.py": (template("finish_results.py").encode(), REGULAR),
    }
    names = "".join(f"{e.file}\n" for e in bundle_exercises(checks))
    entries["exercises.txt"] = (names.encode(), REGULAR)
    package_files = _files(catalog.PACKAGE_DIR)
    entries["grader-src/pyproject.toml"] = (grader_pyproject(package_files).encode(), REGULAR)
    for relative in package_files:
        content = (catalog.PACKAGE_DIR / relative).read_bytes()
        entries[f"grader-src/grader/{relative.as_posix()}"] = (content, REGULAR)
    if checks is not None:
        root = Path(checks).resolve()
        for part in PRIVATE_PARTS:
            path = root / part
            if path.is_file():
                entries[f"checks/{part}"] = (path.read_bytes(), REGULAR)
            elif path.is_dir():
                for relative in _files(path):
                    content = (path / relative).read_bytes()
                    entries[f"checks/{part}/{relative.as_posix()}"] = (content, REGULAR)
    return entries


def gradescope_zip(
    checks: Path | None = None, lang: str = "en", visibility: str = "visible"
) -> bytes:
    """The autograder bundle as zip bytes (setup.sh and run_autograder at its top level)."""
    buffer = io.BytesIO()
    entries = gradescope_entries(checks, lang, visibility)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (content, mode) in sorted(entries.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def missing_private_parts(checks: Path) -> list[str]:
    """What a private checks folder lacks to be usable (empty when it is complete)."""
    parts = ("catalog.toml", "checks", "probes", "quiz/bank.toml")
    if any((Path(checks) / name).exists() for name in parts):
        return []  # a layer: it overrides what it holds and inherits the rest
    return list(parts)
