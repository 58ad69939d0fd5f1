"""`grade` run in the test's own process (click's CliRunner), with the session's fork server.

The command line owns a fork server of its own when none is handed in: each in-process run
would start one and import torch again (seconds of CPU for each test). `main` hands in the
one it starts early; these tests hand in the shared one, which the command then uses and
leaves running. How a server is started early and closed is tested in test_early_server.py.
"""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner, Result

from grader import catalog
from grader.cli import cli
from grader.sandbox import zygote


def invoke(args: list[str], group: click.Group | None = None, **kwargs: Any) -> Result:
    """`grade ARGS` (or `group`'s) in this process; CliRunner's keyword arguments pass through."""
    obj = {"server": zygote.get(catalog.preloads())}
    return CliRunner().invoke(group or cli, args, obj=obj, **kwargs)
