"""`grade class`: grade every student's workspace of a class and write the gradebook."""

from __future__ import annotations

from pathlib import Path

import click

from grader import catalog
from grader.classroom.gradebook import FORMATS
from grader.cli.common import EXIT_INTERNAL, EXIT_OK, exit_status, language
from grader.cli.options import examples, grading_options, limits
from grader.engine import resources

EXIT_INTERRUPTED = 130


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
@click.option(
    "--dask-wait",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="With --dask: seconds the cluster may have no worker before the run stops.",
)
@click.option(
    "--only",
    "only",
    metavar="STUDENT",
    multiple=True,
    help="Grade only this student again (repeatable); the gradebook keeps everyone.",
)
@click.option(
    "--overrides",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Manual overrides (default: OUT/overrides.toml when it exists). See docs/classroom.md.",
)
@click.option(
    "--deadlines",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Due time, late penalty, extensions (default: OUT/deadlines.toml when it exists).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="Also write the gradebook for an LMS: canvas, moodle (gradebook-FORMAT.csv).",
)
@click.option(
    "--plain-csv", is_flag=True, help="Write the CSV files without a UTF-8 byte-order mark."
)
@click.option(
    "--anonymise",
    is_flag=True,
    help="Also write OUT/anonymised/ gradebooks with stable pseudonyms instead of names.",
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
    dask_wait: float,
    only: tuple[str, ...],
    overrides: Path | None,
    deadlines: Path | None,
    formats: tuple[str, ...],
    plain_csv: bool,
    anonymise: bool,
) -> None:
    """Grade a class: each sub-folder of SUBMISSIONS is one student's workspace.

    Writes OUT/gradebook.csv, OUT/class.html and OUT/students/<id>/{results.json,report.html}.
    Students whose files did not change since the last run into OUT are not graded again.
    Each student is a sub-folder or a .zip; their files may sit in one nested folder.
    """
    from grader.classroom.dispatch import Interrupted
    from grader.classroom.grading import grade_class, private_seed
    from grader.classroom.model import ClassError, ClassOptions
    from grader.classroom.policy import PolicyError
    from grader.classroom.report import say
    from grader.results import strip_control

    lang = language(ctx, lang)
    private = bool(getattr(seed, "private", False))
    if private:  # one private seed for the whole class, kept in OUT for resumed runs
        seed = private_seed(out, int(seed))
    options = ClassOptions(
        submissions=submissions,
        out=out,
        exercises=catalog.exercises(),
        device=device,
        seed=int(seed),
        seed_private=private,
        max_examples=examples(max_examples, thorough),
        limits=limits(timeout),
        lang=lang,
        jobs=jobs or resources.default_jobs(),
        dask=dask_address,
        dask_wait=dask_wait,
        overrides=overrides,
        deadlines=deadlines,
        formats=formats or ("csv",),
        plain=plain_csv,
        anonymise=anonymise,
        server=(ctx.find_root().obj or {}).get("server"),  # one handed in: a test's, shared
    )
    try:
        result = grade_class(
            options, only=list(only) or None, echo=lambda line: click.echo(line, err=True)
        )
    except (ClassError, PolicyError) as exc:
        raise click.UsageError(str(exc), ctx) from None
    except Interrupted as stop:
        click.echo(say("interrupted", lang, done=stop.done, total=stop.total), err=True)
        click.echo(say("cli_gradebook", lang, path=out / "gradebook.csv"), err=True)
        ctx.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        raise click.FileError(str(exc.filename or out), hint=exc.strerror or str(exc)) from None
    reused = sum(1 for s in result.students if s.reused)
    failed = [s for s in result.students if s.run is None and not s.problem]
    for student in result.students:
        if student.problem:
            click.echo(f"  {strip_control(student.id)}: {student.problem}: {student.error}")
    missing = sum(1 for s in result.students if s.problem)
    fresh = len(result.students) - reused - len(failed) - missing
    counts = {"students": len(result.students), "reused": reused, "failed": len(failed)}
    counts["missing"] = missing
    click.echo(say("cli_summary", lang, graded=fresh, **counts))
    for student in failed:
        click.echo(f"  {strip_control(student.id)}: {student.error}")
    click.echo(say("cli_gradebook", lang, path=out / "gradebook.csv"))
    click.echo(say("cli_class_page", lang, path=out / "class.html"))
    # A student the grader could not grade, or graded with a fault of its own, is the grader's
    # failure (3, as for `grade check`), never a learner's: CI tells the two apart.
    faulted = bool(failed) or any(
        s.run is not None and exit_status(s.run) == EXIT_INTERNAL for s in result.students
    )
    ctx.exit(EXIT_INTERNAL if faulted else EXIT_OK)
