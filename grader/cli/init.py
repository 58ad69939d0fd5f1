"""`grade init DIR [--notebooks]`: a learner's folder of exercises (see grader.notebook.convert)."""

from __future__ import annotations

from pathlib import Path

import click

from grader import catalog, notebook
from grader.cli.common import language
from grader.notebook.convert import init_folder
from grader.notebook.view import say


@click.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--notebooks", is_flag=True, help="Write Jupyter notebooks instead of .py files.")
@click.option(
    "--lang",
    type=click.Choice(catalog.LANGUAGES),
    default=None,
    help="Language of the lessons (default: grade's --lang, GRADE_LANG or LANG).",
)
@click.pass_context
def init(ctx: click.Context, folder: Path, notebooks: bool, lang: str | None) -> None:
    """Create FOLDER with every exercise to work on (existing files are kept as they are)."""
    lang = language(ctx, lang)
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(say("init_not_folder", lang, path=folder), ctx)
    if notebooks:
        try:
            import nbformat  # noqa: F401 - only to say clearly what is missing
        except ImportError:
            raise click.ClickException(say("init_needs_nbformat", lang)) from None
    written, kept = init_folder(folder, notebooks, lang)
    click.echo(say("init_wrote", lang, count=len(written), folder=folder))
    if kept:
        names = ", ".join(p.name for p in kept[:5]) + (" …" if len(kept) > 5 else "")
        click.echo(say("init_kept", lang, count=len(kept), files=names))
    first = notebook.learner_path(folder, catalog.exercises()[0].file)
    key = "init_next_notebooks" if notebooks else "init_next_py"
    click.echo(say(key, lang, file=first, folder=folder))
