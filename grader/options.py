"""Options that several commands share (grading settings, report files): declared once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from grader.sandbox.limits import Limits

DEFAULT_EXAMPLES, THOROUGH_EXAMPLES = 20, 200


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
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Seed for the generated inputs: same code and seed, same verdict.",
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
