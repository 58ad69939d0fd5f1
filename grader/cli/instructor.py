"""`grade init-ci`, `grade verify` and `grade reset`: click commands the `grade` group adds."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import click

from grader import catalog, progress
from grader import reset as resetting
from grader.cli.common import find_workspace, language, resolve_ids, resolve_workspace
from grader.instructor import ci_kit
from grader.instructor import verify as verifying

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

MESSAGES_FILE = catalog.PACKAGE_DIR / "instructor" / "messages.toml"
_folder = click.Path(file_okay=False, path_type=Path)


@cache
def _messages() -> dict:
    return tomllib.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def phrase(key: str, lang: str, **values: object) -> str:
    """A phrase of these commands in `lang` (English when it has no translation)."""
    table = _messages()
    return (table.get(lang, {}).get(key) or table["en"][key]).format(**values)


def _project_root() -> Path:
    """The project around the current folder (the parent of its exercises/), else the folder."""
    workspace = find_workspace(Path.cwd())
    return workspace.parent if workspace is not None else Path.cwd()


@click.group("init-ci")
def init_ci() -> None:
    """Write classroom CI files: a GitHub Actions workflow or a Gradescope autograder."""


@init_ci.command("github")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the workflow (default: .github/workflows/grade.yml in the project).",
)
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@click.option(
    "--checks-repo",
    metavar="OWNER/NAME",
    default=None,
    help="The instructor's private repository of checks, fetched with a read-only token.",
)
@click.option(
    "--grader-source",
    metavar="REQUIREMENT",
    default=None,
    help="What pip installs the grader from (default: this checkout's origin at HEAD).",
)
def github(
    out: Path | None, force: bool, checks_repo: str | None, grader_source: str | None
) -> None:
    """A workflow that grades every push as root, with a private seed, and publishes reports."""
    project = _project_root()
    out = out or project / ci_kit.GITHUB_DEFAULT
    source = grader_source or ci_kit.grader_source()
    if source is None:
        click.echo(
            f"note: edit the install line of the workflow ({ci_kit.GRADER_PLACEHOLDER}) to "
            "name your copy of the grader, or pass --grader-source.",
            err=True,
        )
    private = None if checks_repo else catalog.checks_root()
    inside = None
    if private is not None:
        try:
            inside = private.relative_to(project.resolve()).as_posix()
        except ValueError:
            click.echo(
                f"note: the private checks {private} are outside this repository; the "
                "workflow grades with the shipped checks: pass --checks-repo OWNER/NAME to "
                "fetch yours from a private repository.",
                err=True,
            )
    if inside is not None:
        click.echo(
            f"note: the checks in {inside} are in the students' repository, where they can "
            "read and change them; keep them in a private repository (--checks-repo).",
            err=True,
        )
    try:
        ci_kit.write_new(out, ci_kit.github_workflow(inside, checks_repo, source), force=force)
    except FileExistsError:
        raise click.ClickException(f"{out} exists: pass --force to overwrite it.") from None
    click.echo(f"Wrote {out}. Commit and push it: each push is then graded on GitHub Actions.")


@init_ci.command("gradescope")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--checks",
    "checks",
    type=_folder,
    default=None,
    help="A private checks folder to ship in the bundle (default: the one of grade --checks).",
)
@click.option("--force", is_flag=True, help="Overwrite OUT if it exists.")
@click.option(
    "--hide-checks",
    is_flag=True,
    help="Students see their score at once and each check's details after the due date.",
)
@click.pass_context
def gradescope(
    ctx: click.Context, out: Path, checks: Path | None, force: bool, hide_checks: bool
) -> None:
    """A Gradescope autograder zip (setup.sh, run_autograder, the grader) written to OUT."""
    checks = checks or catalog.checks_root()
    if checks is not None:
        missing = ci_kit.missing_private_parts(checks)
        if missing:
            raise click.BadParameter(
                f"{str(checks)!r} holds none of {', '.join(missing)}.", ctx, param_hint="'--checks'"
            )
    try:
        visibility = "after_due_date" if hide_checks else "visible"
        data = ci_kit.gradescope_zip(checks, lang=language(ctx), visibility=visibility)
        ci_kit.write_new(out, data, force=force)
    except FileExistsError:
        raise click.ClickException(f"{out} exists: pass --force to overwrite it.") from None
    except catalog.CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    shipped = f" with the private checks of {checks}" if checks else ""
    click.echo(f"Wrote {out}{shipped}. Upload it as the assignment's autograder on Gradescope.")


def _mutants_progress(done: int, total: int) -> None:
    """A line on stderr every 25 mutants: a full run takes minutes."""
    if done % 25 == 0 or done == total:
        click.echo(f"  {done}/{total} mutants graded", err=True)


@click.command("verify")
@click.argument("ids", nargs=-1)
@click.option("--solutions", type=_folder, default=None, help="Reference solutions folder.")
@click.option("--exercises", "exercises_dir", type=_folder, default=None, help="Stubs folder.")
@click.option(
    "--submissions", type=_folder, default=None, help="Corpus folder (exerciseN/*.py files)."
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Files graded in parallel (default: the number of CPU cores).",
)
@click.option("--thorough", is_flag=True, help="Many more generated inputs per check.")
@click.option(
    "--mutants",
    is_flag=True,
    help="Instead: grade faulty variants of each reference; fail if one survives unlisted.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    help="With --mutants: a deterministic sample of N mutants (CI) instead of all.",
)
@click.pass_context
def verify(
    ctx: click.Context,
    ids: tuple[str, ...],
    solutions: Path | None,
    exercises_dir: Path | None,
    submissions: Path | None,
    jobs: int | None,
    thorough: bool,
    mutants: bool,
    sample: int | None,
) -> None:
    """Check exercises end to end (all, or IDS): references, stubs, catalog, corpus."""
    chosen = list(resolve_ids(ctx, ids, none_means_all=True))
    if not ids and catalog.private_ids():  # a private layer: verify what it overrides
        chosen = [e for e in chosen if e.id in catalog.private_ids()]
    found = verifying.default_folders(verifying.project_folder(_project_root()))
    folders = verifying.Folders(
        solutions=solutions or found.solutions,
        exercises=exercises_dir or found.exercises,
        submissions=submissions or found.submissions,
        # Folders given on the command line are used as they are, with nothing beneath them.
        shipped=None if (solutions or exercises_dir or submissions) else found.shipped,
    )
    if sample is not None and not mutants:
        raise click.UsageError("--sample goes with --mutants.", ctx)
    if mutants:
        from grader.instructor import mutation

        click.echo(
            f"Grading mutants of {len(chosen)} references in {folders.solutions} "
            f"(equivalents: {mutation.equivalents_path()}).",
            err=True,
        )
        try:
            result = mutation.run(
                chosen,
                folders.solutions,
                jobs=jobs or os.cpu_count() or 1,
                max_examples=200 if thorough else 20,
                sample=sample,
                progress=_mutants_progress,
            )
        except catalog.CatalogError as exc:
            raise click.ClickException(str(exc)) from None
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        click.echo("\n".join(result.lines()))
        ctx.exit(0 if result.ok else 1)
    click.echo(
        f"Verifying {len(chosen)} exercises: references in {folders.solutions}, stubs in "
        f"{folders.exercises}, corpus in {folders.submissions}.",
        err=True,
    )
    report = verifying.verify(
        chosen,
        folders,
        jobs=jobs or os.cpu_count() or 1,
        max_examples=200 if thorough else 20,
        every_exercise=catalog.exercises(),
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for shortfall in report.shortfalls:
        click.echo(shortfall.line())
    click.echo(report.summary())
    ctx.exit(0 if report.ok else 1)


@click.command("reset")
@click.argument("ids", nargs=-1, required=True)
@click.option(
    "--workspace",
    type=_folder,
    default=None,
    help="Folder with your exercise files (default: the project's exercises/).",
)
@click.option("--yes", is_flag=True, help="Reset every exercise without asking ('reset all').")
@click.pass_context
def reset(ctx: click.Context, ids: tuple[str, ...], workspace: Path | None, yes: bool) -> None:
    """Put the untouched stub of IDS (or 'all') back; your file is kept in .grade/backups/."""
    lang = language(ctx)
    chosen = list(resolve_ids(ctx, ids, none_means_all=True))
    workspace = resolve_workspace(ctx, workspace)
    if "all" in ids and not yes:
        backups = progress.state_dir(workspace) / resetting.BACKUPS
        click.confirm(
            phrase("reset_confirm", lang, count=len(chosen), workspace=workspace, backups=backups),
            abort=True,
        )
    for exercise in chosen:
        try:
            changed, backup = resetting.reset(workspace, exercise, lang=lang)
        except FileNotFoundError:
            path = resetting.stub_path(exercise, lang)
            raise click.ClickException(
                phrase("reset_no_stub", lang, id=exercise.id, path=path)
            ) from None
        if not changed:
            click.echo(phrase("reset_unchanged", lang, id=exercise.id, file=exercise.file))
            continue
        click.echo(phrase("reset_done", lang, id=exercise.id, file=exercise.file))
        if backup is not None:
            click.echo(phrase("reset_backup", lang, path=backup))


@click.command("init-checks")
@click.argument("folder", type=_folder)
@click.argument("ids", nargs=-1, required=True)
@click.pass_context
def init_checks(ctx: click.Context, folder: Path, ids: tuple[str, ...]) -> None:
    """Start a private checks FOLDER from the shipped pieces of IDS (see docs/authoring.md)."""
    from grader.instructor import private_checks
    from grader.instructor.verify import project_folder

    chosen = list(resolve_ids(ctx, ids, none_means_all=True))
    try:
        written = private_checks.start(folder, chosen, project_folder(_project_root()))
    except FileExistsError as exc:
        raise click.ClickException(f"{exc} exists: this folder is started already.") from None
    click.echo(f"Wrote {len(written)} files and folders into {folder}. Check them with:")
    click.echo(f"  grade --checks {folder} verify")
