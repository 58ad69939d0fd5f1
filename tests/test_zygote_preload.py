"""The fork server takes the preloads of the run that uses it, even when another caller started it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.sandbox import zygote
from grader.sandbox.limits import Limits
from grader.sandbox.proxy import Learner

SNIPPET = "import sys\nanswer = {name!r} in sys.modules"


def _imported_in_worker(name: str) -> bool:
    """Whether a worker forked now starts with module `name` already imported."""
    with tempfile.TemporaryDirectory(prefix="grade-test-") as folder:
        empty = Path(folder) / "quiz_snippets.py"
        empty.write_text("", encoding="utf-8")
        learner = Learner(empty, "quiz_snippets", "grader.probes.quiz", Limits())
        try:
            return learner.probe("run_snippet", code=SNIPPET.format(name=name), result="answer")
        finally:
            learner.close()


def test_running_server_imports_preloads_it_lacks_before_the_next_fork() -> None:
    module = "wave"  # a standard module that neither torch nor the grader imports
    server = zygote.get()
    if module in server.preload:  # pragma: no cover - an earlier test asked for it already
        server = zygote.get()
    else:
        assert _imported_in_worker(module) is False
    again = zygote.get((module,))
    assert again is server, "the running server is extended, not replaced"
    assert module in again.preload
    assert _imported_in_worker(module) is True


def test_preload_names_that_are_not_module_names_are_ignored_by_the_server() -> None:
    server = zygote.get()
    reply = server._ask({"op": "preload", "names": ["os; import this", 3, "colorsys"]})
    assert reply == {"loaded": ["colorsys"]}
