"""One grading run: read each learner file, start its worker, run the hidden checks, score them."""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader import catalog, collector, notebook, source
from grader.catalog import Exercise
from grader.engine import checking_process, hints
from grader.report import localize
from grader.results import (
    CheckResult,
    ExerciseResult,
    RunResult,
    exercise_from_dict,
    exercise_status,
    split_points,
)
from grader.sandbox import isolation, zygote
from grader.sandbox.limits import Limits

if TYPE_CHECKING:  # torch, pytest and hypothesis load only when some exercise needs its checks
    from grader.engine.plugin import Record, Session, Share
    from grader.sandbox.proxy import Learner

DEVICE_CHOICES = ("cpu", "cuda", "all")
OUTPUT_KEPT = 10_000


@dataclass(frozen=True)
class RunOptions:
    """What to grade and how; validated on creation."""

    workspace: Path
    exercises: tuple[Exercise, ...]
    device: str = "all"
    seed: int = 0
    seed_private: bool = False  # a graded run's seed: used, never shown to learners
    max_examples: int = 20
    limits: Limits = field(default_factory=Limits)
    lang: str = "en"
    checks_dir: Path = field(default_factory=catalog.checks_dir)
    jobs: int = 1
    hide: tuple[Path, ...] = ()
    # The fork server this run's workers come from, created by the caller with the run's
    # preloads (`catalog.preloads`) and kept warm across runs (a class, `grade watch`);
    # None: the process's shared one (`zygote.get`), for callers that own none.
    server: zygote.Zygote | None = field(default=None, compare=False, repr=False)
    # What `survey()` found for these exercises in this workspace, when the caller read the
    # files first (the CLI, to choose the server's preloads): they are not read again.
    surveyed: Survey | None = field(default=None, compare=False, repr=False)
    # Run the checks in a process forked from the fork server (`engine/checking_process.py`):
    # torch imported once, shared by copy-on-write, none in this process. The CLI's choice.
    checking_process: bool = False

    def __post_init__(self) -> None:
        if self.device not in DEVICE_CHOICES:
            raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {self.device!r}")
        if self.max_examples < 1:
            raise ValueError(f"max_examples must be at least 1, got {self.max_examples!r}")
        if not self.exercises:
            raise ValueError("no exercises to grade")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, got {self.jobs!r}")


def cuda_available() -> bool:
    """Whether CUDA can be used, asked without initialising it in this process."""
    import torch

    return torch.cuda.is_available()


def devices_for(choice: str) -> list[str]:
    """The devices that checks marked devices="all" run on."""
    return ["cpu", "cuda"] if choice == "all" else [choice]


def hidden_paths(
    workspace: Path, checks_dir: Path, extra: tuple[Path, ...] = ()
) -> tuple[str, ...]:
    """Folders learner code must not read: references, hidden checks, quiz keys, the workspace.

    `extra` adds more (a class's other submissions). Never what the worker itself needs:
    Python, torch, the grader package, or the temporary folder its files are copied to.
    """
    import torch

    project = catalog.PACKAGE_DIR.parent
    candidates = [
        catalog.checks_root() or checks_dir,
        checks_dir,
        catalog.PACKAGE_DIR / "quiz",
        project / "solutions",
        project / "tests",
        workspace,
        *extra,
    ]
    needed = [
        Path(p).resolve()
        for p in (
            sys.prefix,
            catalog.PACKAGE_DIR,
            Path(torch.__file__).parent,
            tempfile.gettempdir(),
        )
    ]
    hidden = []
    for path in candidates:
        path = Path(path).resolve()
        if path.is_dir() and not any(n == path or path in n.parents for n in needed):
            hidden.append(str(path))
    return tuple(dict.fromkeys(hidden))


@dataclass
class Survey:
    """What reading a workspace's files once tells a run, before anything is started.

    `facts` holds each file as read and parsed (the worker and the checks get those bytes);
    `verdicts` the exercises decided without a worker (missing, untouched, syntax error);
    `todo` the exercises whose checks must run, in order.
    """

    facts: dict[str, source.SourceFacts] = field(default_factory=dict)
    verdicts: dict[str, ExerciseResult] = field(default_factory=dict)
    todo: list[Exercise] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def preloads(self) -> tuple[str, ...]:
        """The modules the fork server should import for the exercises left to check."""
        return catalog.preloads(self.todo)


def survey(exercises: tuple[Exercise, ...], workspace: Path, lang: str = "en") -> Survey:
    """Read and parse each exercise's file once; decide what needs no worker."""
    found = Survey()
    workspace = Path(workspace).resolve()
    for exercise in exercises:
        verdict, facts = _precheck(exercise, workspace, lang)
        found.facts[exercise.id] = facts
        found.notes.extend(facts.notes)
        if verdict is None:
            found.todo.append(exercise)
        else:
            found.verdicts[exercise.id] = verdict
    return found


def _precheck(
    exercise: Exercise, workspace: Path, lang: str
) -> tuple[ExerciseResult | None, source.SourceFacts]:
    """A verdict that needs no worker (missing, untouched, syntax error), or None."""
    from grader.reset import stub_path

    path = notebook.learner_path(workspace, exercise.file)  # the .py, else a notebook
    facts = source.read(path, pristine=stub_path(exercise))
    title = catalog.pick(exercise.title, lang)

    def verdict(status: str, reason: str) -> ExerciseResult:
        return ExerciseResult(
            id=exercise.id,
            title=title,
            max_score=exercise.max_score,
            status=status,
            reason=reason,
            hint=exercise.hint(1, lang),
        )

    if not facts.exists:
        return verdict(
            "not_started", catalog.message("reason_missing_file", lang, path=path)
        ), facts
    if facts.unreadable:
        return verdict("error", f"file: {facts.unreadable}"), facts
    if facts.syntax_error:
        return verdict("error", f"syntax: {facts.syntax_error}"), facts
    if facts.not_started(exercise.api):
        reason = ""
        if facts.unchanged & set(exercise.api):
            reason = catalog.message("not_started_unchanged", lang, file=path)
        return verdict("not_started", reason), facts
    return None, facts


def _import_error(exercise: Exercise, info: dict, path: Path | None = None) -> str:
    line = info.get("line")
    where = f" ({exercise.file}, line {line})" if type(line) is int else f" ({exercise.file})"
    if path is not None and notebook.is_notebook(path):  # its cell and line, not the program's
        where = (
            f" ({path.name}, {notebook.where(path, line)})"
            if type(line) is int
            else f" ({path.name})"
        )
    kind, message = str(info.get("type")), str(info.get("message"))[:500]
    if kind in ("SystemExit", "KeyboardInterrupt"):
        return f"exit: your file called sys.exit({message}) while being imported{where}"
    if kind == "MemoryError" or "can't allocate memory" in message:
        return f"memory: your file ran out of memory while being imported{where}"
    return f"import: {kind}: {message}{where}"


def score(
    exercise: Exercise, records: list[Record], lang: str, only: frozenset[str] | None = None
) -> list[CheckResult]:
    """Turn one exercise's records into scored, worded check results.

    `only`: the catalog checks a share of the exercise ran (`plugin.Share`); the others are
    left out.
    """
    from grader.engine.plugin import Record

    results = []
    by_check: dict[str, list[Record]] = {}
    for record in records:
        by_check.setdefault(record.check_id, []).append(record)
    for spec in exercise.checks:
        if only is not None and spec.id not in only:
            continue
        mine = by_check.pop(spec.id, [])
        if not mine:
            mine = [Record(spec.id, "any", "error", "internal: this check did not run")]
        ran = sum(1 for r in mine if r.status != "skipped")
        share = split_points(spec.points, ran)
        # The maximum is the catalog's on every machine: a check that ran nowhere keeps its
        # share of it (0 earned), and extra credit is never part of it.
        unrun = 0.0 if ran or spec.extra_credit else split_points(spec.points, len(mine))
        for r in mine:
            diagnosis = ""
            if r.mistake:
                diagnosis = (
                    exercise.mistake(r.mistake, lang)
                    if r.mistake in exercise.mistakes
                    else r.mistake
                )
            results.append(
                CheckResult(
                    name=spec.id,
                    device=r.device,
                    status=r.status,
                    points=share if r.status == "passed" else 0.0,
                    max_points=unrun if r.status == "skipped" or spec.extra_credit else share,
                    title=catalog.pick(spec.title, lang),
                    message=localize.message(r.message, lang),
                    diagnosis=diagnosis,
                    mistake=r.mistake,
                    example=r.example,
                    line=r.line,
                )
            )
    for check_id, extra in by_check.items():
        for r in extra:
            results.append(
                CheckResult(
                    name=check_id,
                    device=r.device,
                    status="error",
                    message=f"internal: check {check_id!r} is not in the catalog",
                )
            )
    return results


@contextlib.contextmanager
def _pytest_environment() -> Iterator[None]:
    """Only our plugin and hypothesis: a learner's installed pytest plugins must not interfere."""
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved


# pytest's own plugins that checks never use: checks take the grader's fixtures only (learner,
# device, source, run_devices: docs/authoring.md) and report through it, never the terminal.
# Not loaded, they no longer cost each run ~20 ms of CPU: importing them, scanning each for
# fixtures, and the log handlers installed around every test. The fault handler stays: a crash
# of this trusted process (in a reference computation) still prints where it was.
UNUSED_PYTEST_PLUGINS = (
    "cacheprovider",
    "terminal",
    "debugging",
    "unittest",
    "nose",
    "legacypath",
    "tmpdir",
    "monkeypatch",
    "recwarn",
    "pastebin",
    "junitxml",
    "doctest",
    "setuponly",
    "setupplan",
    "stepwise",
    "unraisableexception",
    "threadexception",
    "logging",
    "python_path",
    "subtests",
)


def run_checks(session: Session, modules: list[str], checks_dir: Path, seed: int) -> None:
    """Run the hidden check modules in this process with pytest; records land in `session`."""
    import pytest

    from grader.engine.plugin import GraderPlugin

    # Per exercise: the private layer's module where it has one, else the shipped one.
    paths = [str(catalog.checks_file(m, checks_dir)) for m in modules]
    for module, path in zip(modules, paths, strict=True):
        # A same-named check module from another folder (another private checks folder used
        # earlier in this process) would make pytest refuse to import this one.
        earlier = sys.modules.get(module)
        if earlier is not None and getattr(earlier, "__file__", None) != path:
            del sys.modules[module]
    args = [
        *paths,
        "-c",
        str(catalog.PACKAGE_DIR / "checks" / "pytest.ini"),
        "--rootdir",
        str(checks_dir),
        *(arg for name in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{name}")),
        "-p",
        "hypothesis.extra.pytestplugin",
        "--capture=no",
        "--noconftest",
        "-W",
        "ignore",
        f"--hypothesis-seed={seed}",
    ]
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # references are tiny: threads only cost, on a shared machine a lot
    # pytest and hypothesis call gc.collect(); frozen, torch's many objects cost it nothing.
    gc.freeze()
    try:
        with _pytest_environment():
            pytest.main(args, plugins=[GraderPlugin(session)])
    finally:
        gc.unfreeze()
        torch.set_num_threads(threads)


def _common(exercise: Exercise, lang: str) -> dict:
    return {
        "id": exercise.id,
        "title": catalog.pick(exercise.title, lang),
        "max_score": exercise.max_score,
        "hint": exercise.hint(1, lang),
    }


Launched = dict[str, tuple["Learner", source.SourceFacts]]  # exercise id -> worker, file read


def launch_workers(
    options: RunOptions,
    exercises: list[Exercise],
    cuda: bool,
    server: zygote.Zygote,
    facts_of: dict[str, source.SourceFacts],
    launched: Launched,
) -> None:
    """A worker for each exercise, into `launched`: each starts importing the learner's file
    at once, and `Learner.start()` waits for it (meanwhile the run imports pytest).

    Each file is taken from `facts_of` as the run read it, and read here only when it is not
    there. What was launched before a failure is in `launched`, for the caller to close.
    """
    from grader.engine import resources
    from grader.reset import stub_path
    from grader.sandbox.proxy import Learner

    workspace = Path(options.workspace).resolve()
    hide = hidden_paths(workspace, options.checks_dir, options.hide)
    limits = resources.worker_limits(options.limits)
    for exercise in exercises:
        path = notebook.learner_path(workspace, exercise.file)
        # Read once, without following links: the worker and the checks see these bytes.
        facts = facts_of.get(exercise.id) or source.read(path, pristine=stub_path(exercise))
        learner = Learner(
            path,
            exercise.stem,
            catalog.probes_for(exercise),
            limits,
            cuda=cuda,
            hide=hide,
            content=facts.data,
            server=server,
        )
        launched[exercise.id] = learner, facts
        learner.launch()


def grade_batch(
    options: RunOptions,
    exercises: list[Exercise],
    cuda: bool,
    server: zygote.Zygote | None = None,
    facts_of: dict[str, source.SourceFacts] | None = None,
    share: Share | None = None,
    workers: Launched | None = None,
) -> dict[str, ExerciseResult]:
    """Grade exercises that need their checks run, in this process, in one pytest session.

    Workers come from `server` (else the run's, else the shared one), launched here unless
    `workers` holds them launched already (`launch_workers`): this function then owns them.
    `share`: run only that share of one exercise's checks; the verdict then holds those only.
    """
    from grader.sandbox.proxy import BadAnswer, ImportFailed, WorkerLost

    server = server or options.server or zygote.get()
    verdicts: dict[str, ExerciseResult] = {}
    learners: dict[str, Learner] = {}
    sources: dict[str, source.SourceFacts] = {}
    launched: Launched = dict(workers or {})
    # Whatever happens below (a grader bug included), no worker outlives this function.
    try:
        if workers is None:
            launch_workers(options, exercises, cuda, server, facts_of or {}, launched)
        # pytest and hypothesis are imported while the workers import the learners' files,
        # with the collector paused and then frozen, as torch is (collector.py): 7 ms less.
        with collector.paused(freeze=True):
            from grader.engine.plugin import Session

        for exercise in exercises:
            learner, facts = launched[exercise.id]
            try:
                learner.start()
            except (ImportFailed, WorkerLost, BadAnswer) as exc:
                learner.close()
                reason = (
                    _import_error(exercise, exc.info, learner.file)
                    if isinstance(exc, ImportFailed)
                    else f"{exc.reason}: {exc.detail}"
                    if isinstance(exc, WorkerLost)
                    else f"protocol: {exc}"
                )
                verdicts[exercise.id] = ExerciseResult(
                    status="error",
                    reason=reason,
                    output=learner.output()[:OUTPUT_KEPT],
                    **_common(exercise, options.lang),
                )
                continue
            except BaseException:
                learner.close()
                raise
            learners[exercise.stem] = learner
            sources[exercise.stem] = facts
        session = Session(
            learners=learners,
            sources=sources,
            devices=devices_for(options.device),
            cuda_available=cuda,
            max_examples=options.max_examples,
            share=share,
        )
        if learners:
            run_checks(session, list(learners), options.checks_dir, options.seed)
    finally:
        for learner, _ in launched.values():
            learner.close()
    for exercise in exercises:
        if exercise.id in verdicts:
            continue
        only = share.ids if share is not None else None
        verdicts[exercise.id] = _checked(
            exercise,
            score(exercise, session.records.get(exercise.stem, []), options.lang, only),
            learners[exercise.stem].output(),
            round(time.monotonic() - learners[exercise.stem].started_at, 3),
            options.lang,
        )
    return verdicts


def _checked(
    exercise: Exercise, checks: list[CheckResult], output: str, duration: float, lang: str
) -> ExerciseResult:
    """The verdict of an exercise whose checks ran: status, reason and score from `checks`."""
    status, reason = exercise_status(checks)
    return ExerciseResult(
        status=status,
        reason=reason,
        score=round(sum(c.points for c in checks), 3),
        checks=checks,
        output=output[:OUTPUT_KEPT],
        duration=duration,
        # The catalog's maximum (in `_common`), whatever ran here: extra credit is on top of it.
        **_common(exercise, lang) | {"hint": "" if status == "passed" else exercise.hint(1, lang)},
    )


def _lost(exercise: Exercise, lang: str) -> ExerciseResult:
    return ExerciseResult(
        status="error",
        reason="internal: the process grading this exercise died",
        **_common(exercise, lang),
    )


def installed_torch_version() -> str:
    """torch.__version__ without importing torch (when no check needs it, nor its 1.5 s)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    spec = importlib.util.find_spec("torch")
    folders = (spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        found = re.search(r"__version__\s*=\s*['\"]([^'\"]+)", _read(Path(folder, "version.py")))
        if found:
            return found.group(1)
    from importlib import metadata  # 20 ms to import: only where version.py did not say

    return metadata.version("torch")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def grade(options: RunOptions) -> RunResult:
    """Grade the selected exercises of a workspace; never raises for anything a learner wrote.

    Each file is read and parsed once (`options.surveyed`, else here); the checks that must run
    fork their workers from `options.server` (else the process's shared server).
    """
    from grader import __version__

    started = time.monotonic()
    found = options.surveyed
    if found is None or set(found.facts) != {e.id for e in options.exercises}:
        found = survey(options.exercises, options.workspace, options.lang)
    verdicts = dict(found.verdicts)
    notes = list(found.notes)
    if found.todo:
        verdicts.update(_check(options, found.todo, found.facts))
    for exercise in options.exercises:
        # The first rung of the ladder of what failed; the CLI raises it to the learner's level.
        verdicts[exercise.id].hint = hints.choose(exercise, verdicts[exercise.id], options.lang)
    isolated, why_not = isolation.available()
    return RunResult(
        exercises=[verdicts[e.id] for e in options.exercises],
        seed=None if options.seed_private else options.seed,
        devices=devices_for(options.device),
        torch_version=installed_torch_version(),
        grader_version=__version__,
        duration=round(time.monotonic() - started, 3),
        notes=([] if isolated else [why_not]) + notes,
    )


def _check(
    options: RunOptions, todo: list[Exercise], facts_of: dict[str, source.SourceFacts]
) -> dict[str, ExerciseResult]:
    """Verdicts of the exercises whose checks must run: here, or in a checking process."""
    isolation.protect_grader()  # before any check code or expected value is in this process
    preloads = catalog.preloads(todo)
    server = options.server or zygote.get(preloads)
    server.ensure(preloads)  # asks nothing when the server was created with them
    if options.checking_process:
        done = checking_process.check(options, todo, facts_of, server)
        if done is None:
            return {e.id: _lost(e, options.lang) for e in todo}
        return done
    return check_here(options, todo, facts_of, server)


def serve_checks(fd: int, server_channel: socket.socket, server_pid: int) -> None:
    """The checking process's body (`checking_process.ENTRY`): serve one run with `check_here`."""
    checking_process.serve(fd, server_channel, server_pid, check_here)


def check_here(
    options: RunOptions,
    todo: list[Exercise],
    facts_of: dict[str, source.SourceFacts],
    server: zygote.Zygote,
) -> dict[str, ExerciseResult]:
    """Verdicts of the exercises whose checks must run: in this process or in parallel jobs."""
    from grader.engine import jobs, resources

    isolation.protect_grader()
    # With a second CPU the server's torch import overlaps with the grader's own; on one CPU
    # the two would only race for it (each taking twice as long): the grader's comes first.
    overlap = resources.cpus() > 1
    if overlap:
        server.start()
    from grader import deferred_dynamo

    # Where this process imports torch itself (a class, `grade watch`), as the fork server does.
    with jobs.lifelong_imports():
        import torch  # noqa: F401 - the checks compute with it

        deferred_dynamo.install()  # reference optimizer steps need no torch._dynamo either
        for name in catalog.preloads(todo):
            # The checks need them too: import them while the fork server is still starting.
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    cuda = "cuda" in devices_for(options.device) and cuda_available()
    server.start()  # on one CPU: now, once the grader's imports are done
    shares = min(options.jobs, len(todo[0].checks)) if len(todo) == 1 else 1
    if shares > 1:
        # One exercise and cores to spare: its checks in parallel, each share with its own worker.
        return {todo[0].id: _in_shares(options, todo[0], cuda, server, facts_of, shares)}
    if options.jobs == 1 or len(todo) == 1:
        # One exercise at a time, a session each: one worker alive, not one per exercise (each
        # holds tens of MiB of its own). Measured on `check all`: no slower than one session for
        # all 16, and 878 MiB at its peak instead of 1253.
        verdicts: dict[str, ExerciseResult] = {}
        for exercise in todo:
            verdicts |= grade_batch(options, [exercise], cuda, server, facts_of)
        return verdicts
    by_id = {e.id: e for e in todo}
    # Imported before the jobs are forked, pytest and hypothesis are shared by them
    # (copy-on-write) instead of imported and held by each.
    import grader.engine.plugin  # noqa: F401

    def work(exercise_id: str) -> dict:
        graded = grade_batch(options, [by_id[exercise_id]], cuda, server, facts_of)
        return asdict(graded[exercise_id])

    return {
        exercise_id: exercise_from_dict(done) if done else _lost(by_id[exercise_id], options.lang)
        for exercise_id, done in jobs.run_in_jobs(
            list(by_id), work, options.jobs, server=server
        ).items()
    }


def _in_shares(
    options: RunOptions,
    exercise: Exercise,
    cuda: bool,
    server: zygote.Zygote,
    facts_of: dict[str, source.SourceFacts],
    count: int,
) -> ExerciseResult:
    """One exercise's checks dealt into `count` shares graded at once, as one verdict.

    Each share is a job with a worker of its own that imports the learner's file; a verdict
    that ends before the checks (the file cannot be imported) is the first share's.
    """
    from grader.engine import jobs

    ids = [spec.id for spec in exercise.checks]
    catalog_ids = frozenset(ids)
    # Each share's worker is launched here, before pytest is imported: it imports the file
    # meanwhile. The share's job takes it over and ends it; here only a lost job's is ended.
    workers: list[Launched] = [{} for _ in range(count)]
    done: dict[str, dict | None] = {}
    try:
        for launched in workers:
            launch_workers(options, [exercise], cuda, server, facts_of, launched)
        from grader.engine.plugin import Share  # and pytest with it, once, before the forks

        def work(index: str) -> dict:
            n = int(index)
            for other in workers[:n] + workers[n + 1 :]:
                for learner, _ in other.values():
                    learner.release()  # another share's: only this copy of its channel closed
            share = Share(frozenset(ids[n::count]), catalog_ids, extras=n == 0)
            graded = grade_batch(options, [exercise], cuda, server, facts_of, share, workers[n])
            return asdict(graded[exercise.id])

        done = jobs.run_in_jobs([str(i) for i in range(count)], work, count, server=server)
    finally:
        for n, launched in enumerate(workers):
            for learner, _ in launched.values():
                if done.get(str(n)) is None:
                    learner.close()  # its job died (or never started): nobody else ends it
                else:
                    learner.release()
    parts = [done.get(str(i)) for i in range(count)]
    if any(part is None for part in parts):
        return _lost(exercise, options.lang)
    shares = [exercise_from_dict(part) for part in parts if part is not None]
    if any(not share.checks for share in shares):  # ended before any check ran (an import)
        return next(share for share in shares if not share.checks)
    order = {spec.id: n for n, spec in enumerate(exercise.checks)}
    checks = sorted(
        (check for share in shares for check in share.checks),
        key=lambda c: (order.get(c.name, len(order)), c.device),
    )
    outputs = dict.fromkeys(share.output for share in shares if share.output)
    duration = max(share.duration for share in shares)
    return _checked(exercise, checks, "\n".join(outputs), duration, options.lang)
