"""`grade report`: re-render the last run as HTML, JUnit XML or Gradescope JSON, without grading."""

from __future__ import annotations

from pathlib import Path

import click

from grader import catalog, progress
from grader.cli.common import language, resolve_workspace
from grader.cli.options import gradescope_visibility_option
from grader.report import localize
from grader.report.html import phrase
from grader.report.writing import read_sources, write_reports

_path = click.Path(dir_okay=False, path_type=Path)


@click.command("report")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.option(
    "--html", "html_path", type=_path, default=None, help="Write the HTML report to PATH."
)
@click.option("--junit", "junit_path", type=_path, default=None, help="Write JUnit XML to PATH.")
@click.option(
    "--gradescope",
    "gradescope_path",
    type=_path,
    default=None,
    help="Write Gradescope's results.json to PATH.",
)
@gradescope_visibility_option
@click.option(
    "--lang",
    type=click.Choice(catalog.LANGUAGES),
    default=None,
    help="Language of the report's own words (default: from grade --lang, GRADE_LANG or LANG).",
)
@click.pass_context
def report(
    ctx: click.Context,
    workspace: Path | None,
    html_path: Path | None,
    junit_path: Path | None,
    gradescope_path: Path | None,
    gradescope_visibility: str,
    lang: str | None,
) -> None:
    """Write reports of the last run (HTML by default, to .grade/report.html) without grading."""
    lang = language(ctx, lang)
    workspace = resolve_workspace(ctx, workspace)
    run = progress.last_run(workspace)
    if run is None:
        where = progress.state_dir(workspace) / "last-run.json"
        raise click.UsageError(
            f"{phrase('no_last_run', lang, path=where)} {phrase('no_last_run_fix', lang)}", ctx
        )
    if html_path is None and junit_path is None and gradescope_path is None:
        html_path = progress.state_dir(workspace) / "report.html"
    # One language per page: results graded in another language are re-worded from the catalog.
    run = localize.run(run, lang, lambda key: progress.hint_level(workspace, key))
    try:
        written = write_reports(
            run,
            html=html_path,
            junit=junit_path,
            gradescope=gradescope_path,
            gradescope_visibility=gradescope_visibility,
            lang=lang,
            sources=read_sources(workspace, run),
        )
    except OSError as exc:
        raise click.FileError(str(exc.filename or ""), hint=exc.strerror or str(exc)) from None
    for path in written:
        click.echo(phrase("wrote", lang, path=path))
