"""`grade quiz`: a thin click layer over the quiz flow (the lead registers it on the CLI)."""

from __future__ import annotations

from pathlib import Path

import click

from grader import results
from grader.cli.common import language, resolve_workspace
from grader.cli.options import report_options
from grader.quiz import bank as quiz_bank
from grader.quiz import flow, keys

EXIT_OK, EXIT_FAILED = 0, 1


def _load_bank(ctx: click.Context, option: Path | None) -> quiz_bank.Bank:
    """The bank in use; a usage error listing its problems when it is unusable."""
    try:
        return quiz_bank.load(option)
    except quiz_bank.BankError as exc:
        where = "'--bank'" if option else f"'--bank' (or ${quiz_bank.BANK_ENV})"
        raise click.BadParameter(
            f"{exc}\nFix the bank, or use another one.", ctx, param_hint=where
        ) from None


def _seed(ctx: click.Context, seed: int | None, student: str | None) -> int | None:
    """The seed asked for on the command line (a student id hashed to one), if any."""
    if seed is not None and student is not None:
        raise click.UsageError("Give --seed or --student, not both.", ctx)
    if student is not None:
        if not student.strip():
            raise click.BadParameter("the student id is empty.", ctx, param_hint="'--student'")
        return keys.seed_for_student(student)
    return seed


def _questions(ctx: click.Context, bank: quiz_bank.Bank, topics: list[str] | None) -> list:
    """The questions of the chosen topics; a usage error naming an unknown topic."""
    try:
        return bank.of_topics(topics)
    except LookupError as exc:
        raise click.UsageError(str(exc), ctx) from None


@click.command("quiz")
@click.argument("topic", required=False)
@click.option(
    "--answers",
    "answers_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Grade a filled-in answers file (question id = answer) without asking: for CI.",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write an answers file to fill in (then grade it with --answers).",
)
@click.option(
    "--json", "json_path", default=None, help="Write the results as JSON to PATH ('-' for stdout)."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed that picks the numbers of the parametric questions (default 0).",
)
@click.option("--student", default=None, help="A student id: picks that student's own variants.")
@click.option(
    "--bank",
    "bank_option",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    envvar=quiz_bank.BANK_ENV,
    help=f"Question bank to use (default: ${quiz_bank.BANK_ENV}, else the --checks folder's "
    "layered over the shipped one).",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder with your exercise files, where results are kept (default: exercises/).",
)
@report_options("Also write the results as an HTML report to PATH.")
@click.pass_context
def quiz(
    ctx: click.Context,
    topic: str | None,
    answers_path: Path | None,
    template_path: Path | None,
    json_path: str | None,
    html_path: Path | None,
    junit_path: Path | None,
    gradescope_path: Path | None,
    gradescope_visibility: str,
    seed: int | None,
    student: str | None,
    bank_option: Path | None,
    workspace: Path | None,
) -> None:
    """The concept quiz: TOPIC is one topic (default: every topic).

    Asks in the terminal; or `--template FILE` writes an answers file and `--answers FILE`
    grades it (exit 0 when every answer is right, 1 otherwise, 2 for a bad file).
    """
    lang = language(ctx)
    if answers_path is not None and template_path is not None:
        raise click.UsageError("Give --answers or --template, not both.", ctx)
    bank = _load_bank(ctx, bank_option)
    chosen_seed = _seed(ctx, seed, student)
    if template_path is not None:
        _write_template(ctx, bank, topic, template_path, chosen_seed or 0, student, lang)
        return
    if answers_path is None:
        questions = _questions(ctx, bank, [topic] if topic else None)
        run_seed = chosen_seed or 0
        click.echo(bank.phrase("heading", lang, count=len(questions), seed=run_seed))
        items = flow.ask(bank, flow.prepare(questions, run_seed), lang)
        click.echo("")
    else:
        items, run_seed = _grade_file(ctx, bank, topic, answers_path, chosen_seed, lang)
        if json_path != "-":
            click.echo("\n".join(flow.report_lines(bank, items, lang)))
    run = flow.quiz_run(bank, items, run_seed, lang)
    where = resolve_workspace(ctx, workspace, required=False)
    if where is not None:
        flow.remember_quiz(where, run)
    if html_path or junit_path or gradescope_path:
        from grader.report.writing import write_reports

        write_reports(
            run,
            html=html_path,
            junit=junit_path,
            gradescope=gradescope_path,
            lang=lang,
            gradescope_visibility=gradescope_visibility,
        )
    if json_path == "-":
        click.echo(results.to_json(run), nl=False)
    else:
        if json_path:
            results.write_atomic(Path(json_path), results.to_json(run))
        click.echo("\n".join(flow.score_lines(bank, items, lang)))
    ctx.exit(EXIT_OK if items and all(i.status == "passed" for i in items) else EXIT_FAILED)


def _write_template(
    ctx: click.Context,
    bank: quiz_bank.Bank,
    topic: str | None,
    path: Path,
    seed: int,
    student: str | None,
    lang: str,
) -> None:
    """Write an answers file to fill in; never over an existing file (it may hold answers)."""
    if path.exists():
        raise click.BadParameter(
            f"{str(path)!r} already exists: choose another path, or delete it first.",
            ctx,
            param_hint="'--template'",
        )
    questions = _questions(ctx, bank, [topic] if topic else None)
    items = [flow.Item(keys.variant(q, seed), None) for q in questions]
    text = flow.template_text(
        bank, items, seed, lang, path=path, student=student, topics=[topic] if topic else None
    )
    try:
        results.write_atomic(path, text)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {str(path)!r}: {exc.strerror or exc}.", ctx, param_hint="'--template'"
        ) from None
    click.echo(bank.phrase("template_written", lang, path=path))


def _grade_file(
    ctx: click.Context,
    bank: quiz_bank.Bank,
    topic: str | None,
    path: Path,
    seed: int | None,
    lang: str,
) -> tuple[list[flow.Item], int]:
    """The graded items of an answers file and the seed they were drawn with."""
    hint = "'--answers'"
    try:
        answers = flow.read_answers(path)
    except flow.AnswersError as exc:
        raise click.BadParameter(str(exc), ctx, param_hint=hint) from None
    recorded = answers.seed
    if recorded is None and answers.student:
        recorded = keys.seed_for_student(answers.student)
    if recorded is not None and seed is not None and recorded != seed:
        raise click.BadParameter(
            f"{path} was written for seed {recorded}, but the command line asks for seed {seed}. "
            "Drop --seed/--student to grade the file as written, or write a new template.",
            ctx,
            param_hint=hint,
        )
    run_seed = recorded if recorded is not None else (seed or 0)
    try:
        questions = _questions(ctx, bank, [topic]) if topic else bank.of_topics(answers.topics)
    except LookupError as exc:
        raise click.BadParameter(f"{path}: {exc}", ctx, param_hint=hint) from None
    problems = flow.check_answers(bank, answers, questions)
    if problems:
        raise click.BadParameter("\n".join(problems), ctx, param_hint=hint)
    return flow.grade_answers(flow.prepare(questions, run_seed), answers), run_seed
