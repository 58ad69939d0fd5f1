"""Writing a run's reports (HTML, JUnit XML, Gradescope JSON) and reading the sources they quote."""

from __future__ import annotations

from pathlib import Path

from grader import catalog, nofollow, notebook
from grader.report.gradescope import write_gradescope
from grader.report.html import write_html
from grader.report.junit import write_junit
from grader.report.visibility import VISIBILITY
from grader.results import RunResult

SOURCE_LIMIT = 1_000_000


def read_sources(workspace: Path, run: RunResult) -> dict[str, str]:
    """Each graded exercise's learner file (exercise id -> text), to show offending lines."""
    sources: dict[str, str] = {}
    for exercise in run.exercises:
        try:
            path = notebook.learner_path(Path(workspace), catalog.find(exercise.id).file)
            if nofollow.describe(path):  # a symlink: never followed, never quoted
                continue
            if notebook.is_notebook(path):  # the module its cells define: the lines checks cite
                sources[exercise.id] = notebook.python_source(path).text[:SOURCE_LIMIT]
            elif path.is_file():
                sources[exercise.id] = nofollow.read_text(path, SOURCE_LIMIT)
        except (LookupError, catalog.CatalogError, OSError, notebook.NotebookError):
            continue
    return sources


def write_reports(
    run: RunResult,
    *,
    html: Path | None = None,
    junit: Path | None = None,
    gradescope: Path | None = None,
    lang: str = "en",
    sources: dict[str, str] | None = None,
    gradescope_visibility: str = VISIBILITY,
) -> list[Path]:
    """Write each report that has a path (each atomically); the paths written, in that order."""
    written: list[Path] = []
    if html is not None:
        write_html(run, Path(html), lang=lang, sources=sources)
        written.append(Path(html))
    if junit is not None:
        write_junit(run, Path(junit), lang=lang)
        written.append(Path(junit))
    if gradescope is not None:
        write_gradescope(run, Path(gradescope), lang=lang, visibility=gradescope_visibility)
        written.append(Path(gradescope))
    return written
