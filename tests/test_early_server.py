"""A grading command starts its fork server before click and the commands are imported, and a
server started for nothing (a stub, a usage error) is killed, never left importing torch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import early
from grader.sandbox import zygote

ROOT = Path(__file__).resolve().parent.parent


class _Started:
    """Stands in for a fork server: records that one was started."""

    def __init__(self) -> None:
        self.started = True


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (["exercise3"], True),
        (["check", "exercise3", "exercise5"], True),
        (["all", "--workspace", "ws"], True),
        (["--lang", "zh", "exercise3"], True),
        (["--checks=private", "check"], True),
        (["--checks", "private", "exercise12", "--json", "-"], True),
        (["list"], False),
        (["hint", "exercise3"], False),
        (["quiz", "exercise3"], False),
        (["exercise3", "--help"], False),
        (["--version"], False),
        (["-h"], False),
        ([], False),
        (["--lang", "exercise3"], False),  # the value of --lang, not a command
    ],
)
def test_a_server_is_started_early_for_grading_commands_only(
    monkeypatch: pytest.MonkeyPatch, args: list[str], starts: bool
) -> None:
    monkeypatch.setattr(zygote, "Zygote", _Started)
    assert isinstance(early.server_for(args), _Started) is starts


@pytest.mark.slow  # starts a fork server (it begins importing torch)
def test_a_server_that_answered_nothing_is_killed_when_closed() -> None:
    server = zygote.Zygote()
    process = server._process
    assert process is not None
    server.close()
    assert process.returncode == -signal.SIGKILL, "killed, not waited for until torch is in"
    assert not server.alive()


@pytest.mark.slow  # starts a fork server (it imports torch)
def test_a_preload_asked_of_a_running_server_travels_with_its_next_request() -> None:
    with zygote.Zygote() as server:
        sent: list[str] = []
        real = server._exchange

        def exchange(request: dict, fds: list[int]) -> bytes:
            sent.append(request["op"])
            return real(request, fds)

        server._exchange = exchange  # type: ignore[method-assign]
        server.ensure(("colorsys",))
        assert sent == [], "nothing waits for a server still importing torch"
        assert "colorsys" in server.preload
        server.sweep()
        assert sent == ["preload", "sweep"]
        server.ensure(("colorsys",))
        server.sweep()
        assert sent == ["preload", "sweep", "sweep"], "asked once"


# The console script's path (`grader.cli.main`), with the early server's pid printed.
SCRIPT = """
import sys
from grader.sandbox import zygote
real_start = zygote.Zygote._start

def start(self):
    real_start(self)
    print("server", self.pid, file=sys.stderr, flush=True)

zygote.Zygote._start = start
sys.argv = ["grade", *sys.argv[1:]]
from grader.cli import main
main()
"""


@pytest.mark.slow  # a CLI run in a subprocess
@pytest.mark.parametrize("args", [["exercise3"], ["exercise99"], ["check", "--jobs", "0"]])
def test_a_command_that_needs_no_server_leaves_none_running(
    tmp_path: Path, args: list[str]
) -> None:
    """A stub is answered, a usage error reported: the server started early is gone with them."""
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "exercises", workspace)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args, "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (1, 2), done.stderr[-2000:]
    pids = [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("server ")]
    assert len(pids) == 1, done.stderr[-2000:]
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
