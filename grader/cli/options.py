"""Options that several commands share (grading settings, report files): declared once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import click

from grader.report.visibility import VISIBILITIES, VISIBILITY, VISIBILITY_ENV
from grader.sandbox.limits import Limits

DEFAULT_EXAMPLES, THOROUGH_EXAMPLES = 20, 200


class Seed(int):
    """A seed for the generated inputs; `private` ones are used but never shown to learners."""

    private: bool = False

    def __new__(cls, value: int, private: bool = False) -> Seed:
        seed = super().__new__(cls, value)
        seed.private = private
        return seed


class SeedType(click.ParamType):
    """`--seed`: a number (shown in reports), or a private seed from 'random', 'env:NAME', 'file:PATH'.

    A learner who knows the seed knows the generated inputs and could special-case them, so
    graded runs use a seed the learner never sees: reports then say "seed: private".
    """

    name = "seed"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Seed:
        if isinstance(value, Seed):
            return value
        text = str(value).strip()
        if text == "random":
            return Seed(secrets.randbelow(2**32), private=True)
        source, private = text, False
        if text.startswith("env:"):
            name = text[4:]
            if name not in os.environ:
                self.fail(
                    f"{text!r}: the variable {name!r} is not set. Set it to a number.", param, ctx
                )
            source, private = os.environ[name], True
        elif text.startswith("file:"):
            try:
                source = Path(text[5:]).read_text(encoding="utf-8")
            except OSError as exc:
                self.fail(f"{text!r}: {exc.strerror}. Name a file holding one number.", param, ctx)
            private = True
        try:
            number = int(source.strip())
        except ValueError:
            number = -1
        if number < 0:
            shown = "the value" if private else repr(text)
            self.fail(
                f"{shown} is not a seed: use a number >= 0, 'random', 'env:NAME' or 'file:PATH'.",
                param,
                ctx,
            )
        return Seed(number, private=private)


def grading_options(fn: Callable) -> Callable:
    """Add --device, --seed, --max-examples, --thorough and --timeout to a command."""
    options = [
        click.option(
            "--device",
            type=click.Choice(["cpu", "cuda", "all"]),
            default="all",
            show_default=True,
            help="Devices to run device checks on.",
        ),
        click.option(
            "--seed",
            type=SeedType(),
            default="0",
            show_default=True,
            help="Seed for the generated inputs: same code and seed, same verdict. For graded "
            "runs a private seed, never shown in reports: 'random', 'env:NAME' (a variable) or "
            "'file:PATH'.",
        ),
        click.option(
            "--max-examples",
            type=click.IntRange(min=1),
            default=None,
            help=f"Generated inputs per check (default {DEFAULT_EXAMPLES}, "
            f"or {THOROUGH_EXAMPLES} with --thorough).",
        ),
        click.option(
            "--thorough", is_flag=True, help="Many more generated inputs: for CI and final grading."
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True),
            default=60.0,
            show_default=True,
            help="Wall-clock seconds allowed per exercise.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


gradescope_visibility_option = click.option(
    "--gradescope-visibility",
    type=click.Choice(VISIBILITIES),
    default=VISIBILITY,
    show_default=True,
    envvar=VISIBILITY_ENV,
    help=f"Visibility of each check's test in --gradescope's results.json (env: {VISIBILITY_ENV}).",
)


def report_options(html_help: str) -> Callable[[Callable], Callable]:
    """Add --html PATH (described by `html_help`), --junit PATH and --gradescope PATH."""
    path = click.Path(dir_okay=False, path_type=Path)
    options = [
        click.option("--html", "html_path", type=path, default=None, help=html_help),
        click.option(
            "--junit",
            "junit_path",
            type=path,
            default=None,
            help="Write JUnit XML (one testsuite per exercise or quiz topic) to PATH.",
        ),
        click.option(
            "--gradescope",
            "gradescope_path",
            type=path,
            default=None,
            help="Write Gradescope's results.json to PATH.",
        ),
        gradescope_visibility_option,
    ]

    def add(fn: Callable) -> Callable:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return add


def examples(max_examples: int | None, thorough: bool) -> int:
    """Generated inputs per check for these options."""
    return max_examples or (THOROUGH_EXAMPLES if thorough else DEFAULT_EXAMPLES)


def limits(timeout: float) -> Limits:
    """Worker limits for a per-exercise wall-clock `timeout` (one call gets at most 10 s)."""
    return Limits(call_seconds=min(10.0, timeout), exercise_seconds=timeout)
