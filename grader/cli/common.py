"""What every `grade` command shares: exit statuses, the workspace, exercise ids, colour, hints.

One helper for each job, so commands cannot drift apart (a typo'd workspace is a usage error
everywhere, never a folder created; an unknown id always says "Try 'grade list'.").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, overload

import click

from grader import catalog, progress, results
from grader.engine import hints

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


def language(ctx: click.Context, lang: str | None = None) -> str:
    """The language to speak: a command's own --lang, else the group's, else GRADE_LANG/LANG."""
    root = ctx.find_root().obj
    inherited = root.get("lang") if isinstance(root, dict) else None
    return catalog.language(lang or inherited)


@overload
def resolve_workspace(
    ctx: click.Context, workspace: Path | None, required: Literal[True] = True
) -> Path: ...
@overload
def resolve_workspace(
    ctx: click.Context, workspace: Path | None, required: Literal[False]
) -> Path | None: ...
def resolve_workspace(
    ctx: click.Context, workspace: Path | None, required: bool = True
) -> Path | None:
    """The --workspace folder, else the project's exercises/ folder around the current one.

    A --workspace that is not a folder is a usage error (never a folder created for a typo);
    so is finding none when one is `required`.
    """
    if workspace is not None:
        if not workspace.is_dir():
            raise click.BadParameter(
                f"{str(workspace)!r} is not a folder.", ctx, param_hint="'--workspace'"
            )
        return workspace
    found = find_workspace(Path.cwd())
    if found is None and required:
        lang = language(ctx)
        raise click.UsageError(
            f"{catalog.message('no_workspace', lang, cwd=Path.cwd())} "
            f"{catalog.message('no_workspace_fix', lang)}",
            ctx,
        )
    return found


def resolve_ids(
    ctx: click.Context, ids: tuple[str, ...], none_means_all: bool = False
) -> tuple[catalog.Exercise, ...]:
    """Exercises for the ids given ('all' for every one), in catalog order, each once.

    No ids is a usage error unless `none_means_all`; an unknown id is a usage error naming the
    closest ids; a broken catalog is an error that says what is wrong with it.
    """
    try:
        every = catalog.exercises()
    except catalog.CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    if not ids and not none_means_all:
        raise click.UsageError("Name at least one exercise, or 'all'. Try 'grade list'.", ctx)
    if not ids or "all" in ids:
        return tuple(every)
    chosen: dict[str, catalog.Exercise] = {}
    for exercise_id in ids:
        try:
            exercise = catalog.find(exercise_id)
        except LookupError as exc:
            raise click.UsageError(f"{exc} Try 'grade list'.", ctx) from None
        chosen[exercise.id] = exercise
    return tuple(sorted(chosen.values(), key=lambda e: e.number))


def use_colour() -> bool | None:
    """False when NO_COLOR is set; otherwise click decides (colour only on a terminal)."""
    return False if os.environ.get("NO_COLOR") else None


def add_hint_levels(run: results.RunResult, workspace: Path, lang: str) -> None:
    for exercise_result in run.exercises:
        exercise_result.hint = hints.choose(
            catalog.find(exercise_result.id),
            exercise_result,
            lang,
            lambda key: progress.hint_level(workspace, key),
        )


def echo_next(run: results.RunResult | None, lang: str) -> None:
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
