"""`grade watch` re-grades on save from a warm process and moves on when an exercise passes."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grader.watch import Changes

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_changes_sees_a_save(tmp_path: Path, poll: bool) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    changes = Changes(tmp_path, poll=poll, interval=0.05)
    assert changes.polling == poll  # events from watchfiles on Linux, macOS and Windows alike
    assert changes.wait(0.1) == set()
    time.sleep(0.02)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert "a.py" in changes.wait(2.0)
    changes.close()


def test_an_editor_that_saves_by_renaming_a_new_file_is_seen(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    changes = Changes(tmp_path, interval=0.05)
    (tmp_path / ".a.py.swp").write_text("x = 2\n")
    (tmp_path / ".a.py.swp").replace(tmp_path / "a.py")
    assert "a.py" in changes.wait(2.0)
    changes.close()


def test_without_watchfiles_changes_are_polled(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "watchfiles", None)  # `import watchfiles` fails
    changes = Changes(tmp_path, interval=0.05)
    assert changes.polling
    (tmp_path / "b.py").write_text("y = 1\n")
    assert "b.py" in changes.wait(2.0)
    changes.close()


def _lines(stream, sink: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        sink.put(line)


def _until(sink: queue.Queue, text: str, seconds: float) -> str:
    seen = ""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            seen += sink.get(timeout=0.2)
        except queue.Empty:
            continue
        if text in seen:
            return seen
    raise AssertionError(f"{text!r} did not appear within {seconds} s; output so far:\n{seen}")


@pytest.mark.slow
@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_watch_regrades_on_save_and_moves_on(tmp_path: Path, poll: bool) -> None:
    stub = (ROOT / "exercises" / "exercise01_squeeze.py").read_text()
    (tmp_path / "exercise01_squeeze.py").write_text(stub)
    command = [
        sys.executable,
        "-m",
        "grader",
        "watch",
        "exercise1",
        "--workspace",
        str(tmp_path),
        "--device",
        "cpu",
        "--timeout",
        "4",
    ]
    env = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        command + (["--poll"] if poll else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    sink: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, sink), daemon=True).start()
    try:
        _until(sink, "Watching exercise01_squeeze.py", 60)
        hang = stub.replace("raise NotImplementedError", "while True:\n        pass", 1)
        (tmp_path / "exercise01_squeeze.py").write_text(hang)
        _until(sink, "timeout", 60)  # a hanging save is a verdict, and watching goes on
        solution = (ROOT / "solutions" / "exercise01_squeeze.py").read_text()
        (tmp_path / "exercise01_squeeze.py").write_text(solution)
        _until(sink, "passed", 60)
        _until(sink, "exercise2", 60)  # moved on to the next exercise
    finally:
        process.terminate()
        process.wait(timeout=10)
