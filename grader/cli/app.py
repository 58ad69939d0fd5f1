"""The `grade` command group: every command is listed here and imported only when it runs.

click's lazy-group pattern: `grade list` loads no grading engine, `grade exercise3` no quiz
bank, CI kit, class grading or HTML templates. Command modules import nothing from this one.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader import catalog, course
from grader.cli.common import EXIT_INTERNAL

if TYPE_CHECKING:
    from grader.sandbox import zygote

# name -> (module, attribute): the one place where commands are assembled.
COMMANDS = {
    "check": ("grader.cli.grading", "check"),
    "list": ("grader.cli.grading", "list_"),
    "hint": ("grader.cli.grading", "hint"),
    "report": ("grader.cli.report", "report"),
    "watch": ("grader.cli.watch", "watch_"),
    "quiz": ("grader.cli.quiz", "quiz"),
    "class": ("grader.cli.classroom", "class_"),
    "init-ci": ("grader.cli.instructor", "init_ci"),
    "init-checks": ("grader.cli.instructor", "init_checks"),
    "verify": ("grader.cli.instructor", "verify"),
    "reset": ("grader.cli.instructor", "reset"),
    "init": ("grader.cli.init", "init"),
}


class DefaultToCheck(click.Group):
    """`grade exercise3` means `grade check exercise3`; other modules' commands load lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, attribute = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        known = {*self.commands, *COMMANDS}
        if args and args[0] not in known and (catalog.is_exercise_id(args[0]) or args[0] == "all"):
            command = self.get_command(ctx, "check")
            assert command is not None
            return "check", command, args
        if args and args[0] not in known and not args[0].startswith("-"):
            raise click.UsageError(
                f"No such command or exercise {args[0]!r}.{catalog.did_you_mean(args[0])} "
                "Try 'grade list'.",
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
    envvar="GRADE_CHECKS",
    help="An instructor's private checks folder (catalog.toml, checks/, probes/, quiz/), "
    "layered over the shipped exercises (default: $GRADE_CHECKS).",
)
@click.version_option(package_name="torch-grader")
@click.pass_context
def cli(ctx: click.Context, lang: str | None, checks_root: Path | None) -> None:
    """Grade PyTorch exercises: `grade exercise3`, `grade list`, `grade hint exercise3`."""
    taught = course.Course() if checks_root is None else private_course(ctx, checks_root)
    previous = course.use(taught)  # the one configuration every command below reads
    ctx.call_on_close(lambda: course.use(previous))
    # `obj` may hold what `main` started early (a fork server): kept, for the command to take.
    ctx.ensure_object(dict).update(lang=catalog.language(lang), course=taught)


def private_course(ctx: click.Context, root: Path) -> course.Course:
    """The course with a private checks folder over it; a usage error if the folder is empty."""
    root = root.resolve()
    from grader.instructor.ci_kit import missing_private_parts

    if missing_private_parts(root):
        raise click.BadParameter(
            f"{str(root)!r} holds none of catalog.toml, checks/, probes/, quiz/bank.toml: a "
            "private checks folder overrides the shipped exercises with what it holds.",
            ctx,
            param_hint="'--checks'",
        )
    return course.Course.layered(root)


def main(server: zygote.Zygote | None = None) -> None:
    """Console-script entry point (through `grader.cli.main`, which may start `server` first).

    `server`: a fork server started before this module was imported (`early.server_for`);
    the command that grades takes it, and it is closed here whatever happened.
    """
    try:
        try:
            cli(prog_name="grade", obj={"server": server})
        except Exception:  # noqa: BLE001 - a bug of the grader: said as such, with its own status
            traceback.print_exc()
            click.echo(catalog.message("internal_error", catalog.language()), err=True)
            raise SystemExit(EXIT_INTERNAL) from None
    except SystemExit as done:
        if server is not None:
            server.close()  # killed if it was not used (a stub, a usage error)
        # Everything is written (atomically) by now: skip tearing down torch, which takes a while.
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if done.code is not None and not isinstance(done.code, int):
            click.echo(done.code, err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
