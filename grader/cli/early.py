"""The fork server of a grading command, started before anything else of the CLI is imported.

Its torch import is the longest step of a run. Started first, it overlaps with importing click
and the commands, parsing the arguments, reading the catalog and the learner's files: about
0.15 s of a `grade exercise3` on two cores. This module imports only what that takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grader import catalog

if TYPE_CHECKING:
    from grader.sandbox import zygote

# The group's options that take a value: skipped to find the command before click parses.
_VALUED = ("--lang", "--checks")


def server_for(args: list[str]) -> zygote.Zygote | None:
    """A fork server started now when `args` look like a grading command, else None.

    A guess, made before parsing: the command is `check`, an exercise id or `all`, without
    --help or --version. `check` uses it and `main` closes it: a server that has answered
    nothing is killed then, so a wrong guess (a usage error, a file that still has its
    stubs) costs only what it imported meanwhile.
    """
    if {"-h", "--help", "--version"} & set(args):
        return None
    rest = iter(args)
    for arg in rest:
        if arg in _VALUED:
            next(rest, None)
        elif not arg.startswith("-"):
            if arg in ("check", "all") or catalog.is_exercise_id(arg):
                from grader.sandbox import zygote

                return zygote.Zygote()
            return None
    return None
