"""`grade watch`: the click command over grader.watch (kept out of cli.py to keep it short)."""

from __future__ import annotations

from pathlib import Path

import click

from grader import catalog, progress
from grader.report import terminal
from grader.sandbox.limits import Limits


@click.command("watch")
@click.argument("exercise_id", required=False)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.option("--poll", is_flag=True, help="Poll for saves instead of using file events.")
@click.option(
    "--device", type=click.Choice(["cpu", "cuda", "all"]), default="all", show_default=True
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True
)
@click.pass_context
def watch_(
    ctx: click.Context,
    exercise_id: str | None,
    workspace: Path | None,
    poll: bool,
    device: str,
    seed: int,
    timeout: float,
) -> None:
    """Re-grade the exercise whose file you save, each time; move on when it passes."""
    from grader.cli.common import add_hint_levels, resolve_ids, resolve_workspace, use_colour
    from grader.engine.run import RunOptions, grade
    from grader.sandbox import zygote
    from grader.watch import Changes, watch

    # One warm fork server for the whole session, with what any exercise needs: every
    # re-grade forks its worker from it instead of importing torch again.
    server = zygote.Zygote(catalog.preloads())
    lang = ctx.obj["lang"]
    workspace = resolve_workspace(ctx, workspace)
    ids = [e.id for e in catalog.exercises()]
    if exercise_id is not None:
        start = resolve_ids(ctx, (exercise_id,))[0].id
    else:
        last = progress.last_run(workspace)
        done = {e.id for e in last.exercises if e.status == "passed"} if last else set()
        start = next((i for i in ids if i not in done), ids[-1])
    limits = Limits(call_seconds=min(10.0, timeout), exercise_seconds=timeout)

    def grade_one(exercise_id: str) -> bool:
        options = RunOptions(
            workspace=workspace,
            exercises=(catalog.find(exercise_id),),
            device=device,
            seed=seed,
            limits=limits,
            lang=lang,
            server=server,
        )
        run = grade(options)
        add_hint_levels(run, workspace, lang)
        merged = progress.remember(workspace, run)
        click.echo(terminal.render(run, lang), color=use_colour())
        click.echo(terminal.progress_line(merged.exercises, lang))
        return run.passed

    changes = Changes(workspace, poll=poll)
    try:
        for _ in watch(
            ids,
            start,
            lambda i: catalog.find(i).file,
            grade_one,
            changes,
            lambda file: click.echo(catalog.message("watching", lang, file=file)),
            regrading=lambda i, file: click.echo(
                catalog.message("regrading", lang, file=file, id=i)
            ),
        ):
            pass
        click.echo(catalog.message("all_done", lang))
    except KeyboardInterrupt:
        click.echo(catalog.message("stopped_watching", lang))
    finally:
        changes.close()
        server.close()
