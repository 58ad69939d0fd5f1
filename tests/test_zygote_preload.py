"""The fork server is an object owned by its run: created with the run's preloads, extended
(never replaced) when a later run needs more, and reached only from the process that owns it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import catalog
from grader.sandbox import zygote
from grader.sandbox.limits import Limits
from grader.sandbox.proxy import Learner

SNIPPET = "import sys\nanswer = {name!r} in sys.modules"


def _in_worker(server: zygote.Zygote, code: str) -> object:
    """The value of `answer` after `code` runs in a worker forked now from `server`."""
    with tempfile.TemporaryDirectory(prefix="grade-test-") as folder:
        empty = Path(folder) / "quiz_snippets.py"
        empty.write_text("", encoding="utf-8")
        learner = Learner(empty, "quiz_snippets", "grader.probes.quiz", Limits(), server=server)
        try:
            return learner.probe("run_snippet", code=code, result="answer")
        finally:
            learner.close()


def _imported_in_worker(server: zygote.Zygote, name: str) -> bool:
    """Whether a worker forked now from `server` starts with module `name` already imported."""
    return bool(_in_worker(server, SNIPPET.format(name=name)))


def test_workers_start_with_the_servers_objects_out_of_the_collectors_sight() -> None:
    """Frozen in the server, torch's objects are neither walked by a worker's collections nor
    copied by them (a collection writes to every object it walks)."""
    frozen = _in_worker(zygote.get(), "import gc\nanswer = gc.get_freeze_count()")
    assert isinstance(frozen, int) and frozen > 50_000, frozen


def test_learner_code_runs_with_the_collector_running() -> None:
    """The server imports torch with the collector paused (collector.py), never its workers."""
    assert _in_worker(zygote.get(), "import gc\nanswer = gc.isenabled()") is True


def test_the_collector_is_paused_inside_the_block_and_restored_after() -> None:
    import gc

    from grader import collector

    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled(), "left as it was: paused"
    finally:
        gc.enable()


def test_what_a_paused_block_made_is_frozen_before_the_collector_runs_again() -> None:
    """Turned back on after an import, the collector's next young collection would walk all
    the import made (85 ms after `import torch`): frozen first, there is nothing to walk."""
    import gc

    from grader import collector

    frozen = gc.get_freeze_count()
    with collector.paused(freeze=True):
        made = [[] for _ in range(20_000)]
    try:
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(made)
        assert gc.get_count()[0] < 700, "the young generation is empty: no walk is due"
    finally:
        gc.unfreeze()  # the test process's own objects: collectable again


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/PID/smaps_rollup")
def test_the_server_holds_few_pages_of_the_libraries_its_import_read_once() -> None:
    """Importing torch reads about 210 MiB of libtorch's and the CUDA libraries' files once; the
    server gives those pages back (sandbox/pages.py) and still forks working workers."""
    server = zygote.get()
    assert _imported_in_worker(server, "torch") is True  # started, and forks as before
    fields = {}
    with open(f"/proc/{server.pid}/smaps_rollup", encoding="utf-8") as rollup:
        for line in rollup:
            name, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[name] = int(value.split()[0]) // 1024
    file_pages = fields["Rss"] - fields["Anonymous"]
    assert file_pages < 100, f"{file_pages} MiB of file pages resident in the server: {fields}"


def test_running_server_imports_preloads_it_lacks_before_the_next_fork() -> None:
    module = "wave"  # a standard module that neither torch nor the grader imports
    server = zygote.get()
    if module in server.preload:  # pragma: no cover - an earlier test asked for it already
        server = zygote.get()
    else:
        assert _imported_in_worker(server, module) is False
    again = zygote.get((module,))
    assert again is server, "the running server is extended, not replaced"
    assert module in again.preload
    assert _imported_in_worker(server, module) is True


def test_preload_names_that_are_not_module_names_are_ignored_by_the_server() -> None:
    server = zygote.get()
    reply = server._ask({"op": "preload", "names": ["os; import this", 3, "colorsys"]})
    assert reply == {"loaded": ["colorsys"]}


@pytest.mark.slow  # starts a fork server of its own (a torch import)
def test_an_owned_server_starts_with_its_preloads_and_ends_when_closed() -> None:
    with zygote.Zygote(("colorsys",), start=False) as server:
        assert not server.started and server.pid == 0, "start=False: nothing runs yet"
        server.ensure(("wave",))  # not started: simply started with it, nothing asked
        assert server.preload == {"colorsys", "wave"} and not server.started
        assert _imported_in_worker(server, "wave") is True  # the first request starts it
        assert server.pid != zygote.get().pid, "its own process, not the shared server"
        pid = server.pid
    assert not server.alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_forked_copy_of_a_handle_refuses_to_talk_over_its_parents_channel() -> None:
    server = zygote.get()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            server.sweep()
            os.write(writer, b"talked")
        except zygote.ZygoteError:
            os.write(writer, b"refused")
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    assert os.read(reader, 16) == b"refused"
    os.close(reader)
    assert server.sweep() == 0, "the parent's channel is intact"


META_LSTM = """
import sys, torch
before = "sympy" in sys.modules
torch.nn.LSTM(4, 3, device="meta")(torch.empty(5, 2, 4, device="meta"))
answer = [before, "sympy" in sys.modules]
"""


@pytest.mark.slow
def test_exercise12s_meta_lstm_needs_sympy_and_its_workers_start_with_it() -> None:
    exercise = catalog.find("exercise12")
    server = zygote.get(catalog.preloads([exercise]))
    assert _in_worker(server, META_LSTM) == [True, True], "the worker imported sympy itself"
    # Why it is preloaded: without it, the worker's meta LSTM imports sympy (0.5 s, 34 MiB).
    # If a torch release stops doing so, this fails: drop exercise12's preload then.
    code = "from grader import deferred_dynamo\ndeferred_dynamo.install()\n" + META_LSTM
    done = subprocess.run(
        [sys.executable, "-c", code + "print(answer)"], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "[False, True]", done.stderr
