"""`grade check` (also `grade exercise3`), `grade list` and `grade hint`: a learner's loop."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from grader import catalog, notebook, progress, results
from grader.cli import options
from grader.cli.common import (
    add_hint_levels,
    echo_next,
    exit_status,
    resolve_ids,
    resolve_workspace,
    use_colour,
)
from grader.cli.options import grading_options, report_options
from grader.engine import hints
from grader.report import terminal


@click.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True),  # a folder is a usage error, not a crash
    default=None,
    help="Write the results as JSON to PATH ('-' for stdout).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Exercises graded in parallel (default: the number of CPU cores).",
)
@report_options("Write the HTML report to PATH (default: .grade/report.html in the workspace).")
@grading_options
@click.pass_context
def check(
    ctx: click.Context,
    ids: tuple[str, ...],
    workspace: Path | None,
    json_path: str | None,
    html_path: Path | None,
    junit_path: Path | None,
    gradescope_path: Path | None,
    gradescope_visibility: str,
    device: str,
    seed: int,
    max_examples: int | None,
    jobs: int | None,
    thorough: bool,
    timeout: float,
) -> None:
    """Grade exercises: IDS are exercise ids (exercise1 ...) or 'all'."""
    from grader.engine import resources
    from grader.engine.run import RunOptions, grade, survey
    from grader.sandbox import zygote

    lang = ctx.obj["lang"]
    exercises = resolve_ids(ctx, ids)
    workspace = resolve_workspace(ctx, workspace)
    if not workspace.is_dir():
        raise click.BadParameter(
            f"{str(workspace)!r} is not a folder.", ctx, param_hint="'--workspace'"
        )
    found = survey(exercises, workspace, lang)  # each file read and parsed once, here
    # One fork server for the run, with the preloads of the exercises left to check (stubs and
    # syntax errors need neither it nor torch): the one handed in (`main` starts one before
    # parsing, and closes it), else one of this command's, started now. The checks run in a
    # process it forks (torch imported once, in the server: none here, on one CPU nothing
    # done twice).
    handed: zygote.Zygote | None = ctx.find_root().obj.get("server")
    server = (handed or zygote.Zygote(found.preloads())) if found.todo else None
    examples = options.examples(max_examples, thorough)
    html_path = html_path or (
        None if json_path == "-" else progress.state_dir(workspace) / "report.html"
    )
    # This process waits while the checks run: the report's templates compile meanwhile.
    templates = threading.Thread(target=_prepare_html, daemon=True)
    if html_path and found.todo:
        templates.start()
    try:
        run = grade(
            RunOptions(
                workspace=workspace,
                exercises=exercises,
                device=device,
                seed=seed,
                seed_private=getattr(seed, "private", False),
                max_examples=examples,
                limits=options.limits(timeout),
                lang=lang,
                jobs=jobs or resources.default_jobs(),
                server=server,
                surveyed=found,
                checking_process=True,
            )
        )
    finally:
        if server is not None and server is not handed:
            server.close()  # its workers are gone: its memory is not held while reports are written
    from grader.report.writing import read_sources, write_reports

    add_hint_levels(run, workspace, lang)
    merged = progress.remember(workspace, run)
    if json_path and json_path != "-":
        results.write_atomic(Path(json_path), results.to_json(run))
    if templates.is_alive():
        templates.join()
    if junit_path or gradescope_path:
        write_reports(
            run,
            junit=junit_path,
            gradescope=gradescope_path,
            lang=lang,
            gradescope_visibility=gradescope_visibility,
        )
    if html_path:
        write_reports(merged, html=html_path, lang=lang, sources=read_sources(workspace, merged))
    if json_path == "-":
        click.echo(results.to_json(run), nl=False)
    else:
        files = {e.id: str(notebook.learner_path(workspace, e.file)) for e in exercises}
        for note in run.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(terminal.render(run, lang, files), color=use_colour())
        click.echo(terminal.progress_line(merged.exercises, lang))
        echo_next(merged, lang)
        if html_path:
            click.echo(catalog.message("see_report", lang, path=html_path))
    ctx.exit(exit_status(run))


def _prepare_html() -> None:
    from grader.report import html

    html.prepare()


@click.command("list")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.pass_context
def list_(ctx: click.Context, workspace: Path | None) -> None:
    """Every exercise with its status from the last run, and the next one to do."""
    from grader.quiz import quiz_progress

    lang = ctx.obj["lang"]
    workspace = resolve_workspace(ctx, workspace)
    last = progress.last_run(workspace)
    seen = {e.id: e for e in last.exercises} if last else {}
    for exercise in catalog.exercises():
        result = seen.get(exercise.id)
        status = result.status if result else "not_run"
        label = catalog.message(f"status_{status}", lang) if result else "-"
        score = f"{result.score:g}/{exercise.max_score}" if result else f"-/{exercise.max_score}"
        colour = terminal.COLOURS.get(status)
        click.echo(
            f"{exercise.id:<11} {terminal.pad(catalog.pick(exercise.title, lang), 52)} "
            f"{click.style(terminal.pad(label, 12), fg=colour)} {score}",
            color=use_colour(),
        )
    for topic in quiz_progress(workspace):
        colour = terminal.COLOURS.get(topic.status)
        label = catalog.message(f"status_{topic.status}", lang)
        click.echo(
            f"{topic.id:<11} {terminal.pad(topic.title, 52)} "
            f"{click.style(terminal.pad(label, 12), fg=colour)} "
            f"{topic.score:g}/{topic.max_score:g}",
            color=use_colour(),
        )
    click.echo(terminal.progress_line(seen.values(), lang))
    echo_next(last, lang)


@click.command()
@click.argument("exercise_id")
@click.option("--level", type=click.IntRange(min=1), default=None, help="Show hint number N.")
@click.option(
    "--function",
    "function",
    default=None,
    help="The function to get a hint for (default: the one that failed first last time).",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.pass_context
def hint(
    ctx: click.Context,
    exercise_id: str,
    level: int | None,
    function: str | None,
    workspace: Path | None,
) -> None:
    """Show the next hint for EXERCISE_ID (each call shows one more)."""
    lang = ctx.obj["lang"]
    try:
        exercise = catalog.find(exercise_id)
    except LookupError as exc:
        raise click.UsageError(f"{exc} Try 'grade list'.", ctx) from None
    workspace = resolve_workspace(ctx, workspace)
    named = [name for name in exercise.ladders if name]
    if function is not None and function not in named:
        choices = ", ".join(named) or "none: one ladder for the whole exercise"
        raise click.BadParameter(
            f"{exercise.id} has no function {function!r} (its functions: {choices}).",
            ctx,
            param_hint="'--function'",
        )
    if function is None:
        last = progress.last_run(workspace)
        mine = [e for e in last.exercises if e.id == exercise.id] if last else []
        function = hints.focus(exercise, mine[0] if mine else None)[0]
    count = exercise.hint_count(function)
    if level is not None and level > count:
        raise click.BadParameter(
            f"{exercise.id} has {count} hints, not {level}.", ctx, param_hint="'--level'"
        )
    key = hints.level_key(exercise, function)
    seen = progress.hint_level(workspace, key)
    shown = level if level is not None else min(seen + 1, count)
    name = f" ({function})" if function else ""
    click.echo(
        f"{catalog.message('next_hint', lang, level=shown, count=count)}{name}: "
        f"{exercise.hint(shown, lang, function)}"
    )
    if level is None and seen >= count:
        click.echo(catalog.message("no_more_hints", lang, id=exercise.id))
    progress.set_hint_level(workspace, key, max(seen, shown))
