"""`grade class`: grade every student's workspace of a class and write the gradebook."""

from __future__ import annotations

import os
from pathlib import Path

import click

from grader import catalog
from grader.options import examples, grading_options, limits

EXIT_OK, EXIT_NOT_GRADED = 0, 1


def _language(ctx: click.Context, lang: str | None) -> str:
    """The --lang given here, else the one given to `grade`, else GRADE_LANG or LANG."""
    parent = ctx.find_root().obj
    inherited = parent.get("lang") if isinstance(parent, dict) else None
    return catalog.language(lang or inherited)


@click.command("class")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the gradebook, the class page and each student's results.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Students graded in parallel (default: the number of CPU cores).",
)
@click.option(
    "--lang",
    type=click.Choice(catalog.LANGUAGES),
    default=None,
    help="Language of the reports (default: from grade --lang, GRADE_LANG or LANG).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    default=None,
    help="Grade on an existing Dask cluster (scheduler address, e.g. tcp://host:8786).",
)
@grading_options
@click.pass_context
def class_(
    ctx: click.Context,
    submissions: Path,
    out: Path,
    jobs: int | None,
    device: str,
    seed: int,
    max_examples: int | None,
    thorough: bool,
    timeout: float,
    lang: str | None,
    dask_address: str | None,
) -> None:
    """Grade a class: each sub-folder of SUBMISSIONS is one student's workspace.

    Writes OUT/gradebook.csv, OUT/class.html and OUT/students/<id>/{results.json,report.html}.
    Students whose files did not change since the last run into OUT are not graded again.
    """
    from grader.classroom import ClassError, ClassOptions, grade_class
    from grader.classroom_report import say
    from grader.results import strip_control

    lang = _language(ctx, lang)
    options = ClassOptions(
        submissions=submissions,
        out=out,
        exercises=catalog.exercises(),
        device=device,
        seed=seed,
        max_examples=examples(max_examples, thorough),
        limits=limits(timeout),
        lang=lang,
        jobs=jobs or os.cpu_count() or 1,
        dask=dask_address,
    )
    try:
        result = grade_class(options, echo=lambda line: click.echo(line, err=True))
    except ClassError as exc:
        raise click.UsageError(str(exc), ctx) from None
    except OSError as exc:
        raise click.FileError(str(exc.filename or out), hint=exc.strerror or str(exc)) from None
    reused = sum(1 for s in result.students if s.reused)
    failed = [s for s in result.students if s.run is None]
    fresh = len(result.students) - reused - len(failed)
    counts = {"students": len(result.students), "reused": reused, "failed": len(failed)}
    click.echo(say("cli_summary", lang, graded=fresh, **counts))
    for student in failed:
        click.echo(f"  {strip_control(student.id)}: {student.error}")
    click.echo(say("cli_gradebook", lang, path=out / "gradebook.csv"))
    click.echo(say("cli_class_page", lang, path=out / "class.html"))
    ctx.exit(EXIT_OK if result.complete else EXIT_NOT_GRADED)
