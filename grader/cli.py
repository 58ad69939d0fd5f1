"""The `grade` command: a thin click layer that parses, calls one library function, renders."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from grader import catalog, hints, notebook, options, progress, results
from grader.options import grading_options, report_options
from grader.report import terminal

# Commands defined in other modules, imported only when run (or listed by --help): `grade
# exercise3` then loads no quiz bank, CI kit, class grading or HTML templates.
LAZY_COMMANDS = {
    "report": ("grader.report.command", "report"),
    "watch": ("grader.watch_command", "watch_"),
    "quiz": ("grader.quiz.command", "quiz"),
    "class": ("grader.classroom_command", "class_"),
    "init-ci": ("grader.instructor_commands", "init_ci"),
    "init-checks": ("grader.instructor_commands", "init_checks"),
    "verify": ("grader.instructor_commands", "verify"),
    "reset": ("grader.instructor_commands", "reset"),
    "init": ("grader.notebook_init", "init"),
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A fault of the grader itself (a bug, or a sandbox that could not start), never learner input:
# CI can tell "the grader broke" from "the code is wrong".
EXIT_INTERNAL = 3


def exit_status(run: results.RunResult) -> int:
    """0 all passed, 1 something did not, 3 the grader faulted on some exercise or check."""
    faulted = any(
        e.reason.startswith("internal")
        or any(c.status == "error" and c.message.startswith("internal") for c in e.checks)
        for e in run.exercises
    )
    return EXIT_INTERNAL if faulted else EXIT_OK if run.passed else EXIT_FAILED


def find_workspace(start: Path) -> Path | None:
    """The `exercises/` folder of the project around `start` (or `start` itself if it is one)."""
    start = start.resolve()
    if start.name == "exercises":
        return start
    for folder in (start, *start.parents):
        if (folder / "exercises").is_dir():
            return folder / "exercises"
    return None


def resolve_workspace(ctx: click.Context, workspace: Path | None) -> Path:
    """The workspace option, or the project's exercises/ folder; a usage error if neither."""
    if workspace is not None:
        return workspace
    found = find_workspace(Path.cwd())
    if found is None:
        lang = ctx.obj["lang"]
        raise click.UsageError(
            f"{catalog.message('no_workspace', lang, cwd=Path.cwd())} "
            f"{catalog.message('no_workspace_fix', lang)}",
            ctx,
        )
    return found


def resolve_ids(ctx: click.Context, ids: tuple[str, ...]) -> tuple[catalog.Exercise, ...]:
    """Exercises for the ids given ('all' for every one); a usage error names an unknown id."""
    if not ids:
        raise click.UsageError("Name at least one exercise, or 'all'. Try 'grade list'.", ctx)
    chosen: list[catalog.Exercise] = []
    for exercise_id in ids:
        if exercise_id == "all":
            chosen.extend(catalog.exercises())
            continue
        try:
            chosen.append(catalog.find(exercise_id))
        except LookupError as exc:
            raise click.UsageError(f"{exc} Try 'grade list'.", ctx) from None
    unique = {e.id: e for e in chosen}
    return tuple(sorted(unique.values(), key=lambda e: e.number))


def use_colour() -> bool | None:
    """False when NO_COLOR is set; otherwise click decides (colour only on a terminal)."""
    return False if os.environ.get("NO_COLOR") else None


class DefaultToCheck(click.Group):
    """`grade exercise3` means `grade check exercise3`; other modules' commands load lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LAZY_COMMANDS:
            import importlib

            module, attribute = LAZY_COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        known = {*self.commands, *LAZY_COMMANDS}
        if args and args[0] not in known and (catalog.is_exercise_id(args[0]) or args[0] == "all"):
            return "check", self.commands["check"], args
        if args and args[0] not in known and not args[0].startswith("-"):
            raise click.UsageError(
                f"No such command or exercise {args[0]!r}. "
                f"{catalog.unknown_id_message(args[0]).split('.', 1)[1].strip()} "
                "Try 'grade list'.".replace("  ", " "),
                ctx,
            )
        return super().resolve_command(ctx, args)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--lang",
    type=click.Choice(catalog.LANGUAGES),
    default=None,
    help="Language of hints and diagnoses (default: from GRADE_LANG or LANG).",
)
@click.option(
    "--checks",
    "checks_root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="An instructor's private checks folder (catalog.toml, checks/, probes/, quiz/).",
)
@click.version_option(package_name="torch-grader")
@click.pass_context
def cli(ctx: click.Context, lang: str | None, checks_root: Path | None) -> None:
    """Grade PyTorch exercises: `grade exercise3`, `grade list`, `grade hint exercise3`."""
    if checks_root is not None:
        use_private_checks(ctx, checks_root)
    ctx.obj = {"lang": catalog.language(lang)}


def use_private_checks(ctx: click.Context, root: Path) -> None:
    """Point the whole grader at a private checks folder; a usage error if it is incomplete."""
    root = root.resolve()
    from grader.ci_kit import missing_private_parts

    if missing_private_parts(root):
        raise click.BadParameter(
            f"{str(root)!r} holds none of catalog.toml, checks/, probes/, quiz/bank.toml: a "
            "private checks folder overrides the shipped exercises with what it holds.",
            ctx,
            param_hint="'--checks'",
        )
    os.environ["GRADE_CHECKS"] = str(root)
    if (root / "quiz" / "bank.toml").is_file():
        os.environ["GRADE_QUIZ_BANK"] = str(root / "quiz" / "bank.toml")


@cli.command()
@click.argument("ids", nargs=-1)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.option(
    "--json", "json_path", default=None, help="Write the results as JSON to PATH ('-' for stdout)."
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
    device: str,
    seed: int,
    max_examples: int | None,
    jobs: int | None,
    thorough: bool,
    timeout: float,
) -> None:
    """Grade exercises: IDS are exercise ids (exercise1 ...) or 'all'."""
    from grader import resources
    from grader.run import RunOptions, grade, needs_checks
    from grader.sandbox import zygote

    lang = ctx.obj["lang"]
    exercises = resolve_ids(ctx, ids)
    workspace = resolve_workspace(ctx, workspace)
    if not workspace.is_dir():
        raise click.BadParameter(
            f"{str(workspace)!r} is not a folder.", ctx, param_hint="'--workspace'"
        )
    if needs_checks(exercises, workspace, lang):
        # Its torch import overlaps with the grader's; stubs and syntax errors need neither.
        zygote.get(catalog.preloads(exercises))
    examples = options.examples(max_examples, thorough)
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
        )
    )
    from grader.report.command import read_sources, write_reports

    _add_hint_levels(run, workspace, lang)
    merged = progress.remember(workspace, run)
    if json_path and json_path != "-":
        results.write_atomic(Path(json_path), results.to_json(run))
    html_path = html_path or (
        None if json_path == "-" else progress.state_dir(workspace) / "report.html"
    )
    if junit_path or gradescope_path:
        write_reports(run, junit=junit_path, gradescope=gradescope_path, lang=lang)
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
        _echo_next(merged, lang)
        if html_path:
            click.echo(catalog.message("see_report", lang, path=html_path))
    ctx.exit(exit_status(run))


def _add_hint_levels(run: results.RunResult, workspace: Path, lang: str) -> None:
    for exercise_result in run.exercises:
        exercise_result.hint = hints.choose(
            catalog.find(exercise_result.id),
            exercise_result,
            lang,
            lambda key: progress.hint_level(workspace, key),
        )


def _echo_next(run: results.RunResult | None, lang: str) -> None:
    done = {e.id for e in run.exercises if e.status == "passed"} if run else set()
    for exercise in catalog.exercises():
        if exercise.id not in done:
            click.echo(
                catalog.message(
                    "next_exercise", lang, id=exercise.id, title=catalog.pick(exercise.title, lang)
                )
            )
            return
    click.echo(catalog.message("all_done", lang))


@cli.command("list")
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
    _echo_next(last, lang)


@cli.command()
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


def main() -> None:
    """Console-script entry point."""
    try:
        try:
            cli(prog_name="grade")
        except Exception:  # noqa: BLE001 - a bug of the grader: said as such, with its own status
            traceback.print_exc()
            click.echo(catalog.message("internal_error", catalog.language()), err=True)
            raise SystemExit(EXIT_INTERNAL) from None
    except SystemExit as done:
        # Everything is written (atomically) by now: skip tearing down torch, which takes a while.
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if done.code is not None and not isinstance(done.code, int):
            click.echo(done.code, err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
