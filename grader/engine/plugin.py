"""The pytest plugin that runs hidden checks against learner workers and records what happened.

It lives in the trusted process: it hands each check module its exercise's `Learner` proxy,
parametrizes device checks, and turns each test outcome into a plain record, classifying
exceptions (a wrong answer, a learner exception, a lost worker, a bug in a check).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.configuration import set_hypothesis_home_dir

from grader.checking import CheckFailure, CheckInfo, raised, show
from grader.sandbox.proxy import BadAnswer, LearnerRaised, NotImplementedYet, WorkerLost

PROFILE = "grader"


@dataclass
class Record:
    """What one test item did, before the catalog gives it points and words."""

    check_id: str
    device: str
    status: str
    message: str = ""
    mistake: str = ""
    example: str = ""
    line: int | None = None


@dataclass
class Session:
    """The state the plugin shares with the runner for one pytest session."""

    learners: dict[str, Any]
    sources: dict[str, Any]
    devices: list[str]
    cuda_available: bool
    max_examples: int
    records: dict[str, list[Record]] = field(default_factory=dict)
    # Only this share of the checks (the other shares run in parallel: `run._in_shares`).
    share: Share | None = None


@dataclass(frozen=True)
class Share:
    """A share of one exercise's checks: the catalog ids it runs, whole check functions.

    Every catalog id is in exactly one share; tests whose id is not in the catalog (reported as
    such) run in the share that has `extras`, so that each runs once.
    """

    ids: frozenset[str]
    catalog: frozenset[str]
    extras: bool = False

    def runs(self, check_id: str) -> bool:
        return check_id in self.ids or (self.extras and check_id not in self.catalog)


def render_example(example: dict) -> str:
    """An input as `name = value` lines."""
    return "\n".join(f"{k} = {show(v, 300)}" for k, v in example.items())


_ARG_LINE = re.compile(r"^\s*(learner|device)=.*$", re.MULTILINE)


def example_from_notes(exc: BaseException) -> str:
    """Hypothesis' shrunk example from an exception's notes, without fixtures.

    Older hypothesis versions write 'Falsifying example: ...', newer ones (6.170) 'Failing test case'.
    """
    for note in getattr(exc, "__notes__", []) or []:
        if note.startswith(("Falsifying example", "Failing test case")):
            body = note.split(":", 1)[1].strip()
            body = _ARG_LINE.sub("", body)
            inner = body[body.find("(") + 1 : body.rfind(")")] if "(" in body else body
            lines = [ln.strip().rstrip(",") for ln in inner.splitlines() if ln.strip()]
            return "\n".join(ln.replace("=", " = ", 1) for ln in lines)
    return ""


def classify(exc: BaseException) -> tuple[str, str, str, str, int | None]:
    """(status, message, mistake, example, line) for an exception raised by a check."""
    example = example_from_notes(exc)
    if isinstance(exc, CheckFailure):
        rendered = render_example(exc.example) if exc.example else example
        # said(): the check's message with the expected/got lines, in every language
        return "failed", exc.said(), exc.mistake or "", rendered, None
    if isinstance(exc, NotImplementedYet):
        return "failed", "not implemented yet: it still raises NotImplementedError", "", "", None
    if isinstance(exc, WorkerLost):
        return "error", f"{exc.reason}: {exc.detail}", "", example, None
    if isinstance(exc, LearnerRaised):
        return "failed", raised(exc), "", example, exc.line
    if isinstance(exc, BadAnswer):
        return "failed", f"the answer could not be read as plain data: {exc}", "", example, None
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "assertion failed", "", example, None
    return (
        "error",
        f"internal: the check itself failed ({type(exc).__name__}: {exc})",
        "",
        example,
        None,
    )


def _no_local_constants(restore: Any = None) -> Any:
    """Keep hypothesis from mixing constants of "local" source files into generated inputs.

    Hypothesis (6.131 on) parses every imported module outside site-packages and draws from the
    literals it finds. In an editable install (how a learner runs the course) those are the
    grader's own modules: parsing them cost a quarter of a second of each `grade exercise3`, and
    the inputs a check tried depended on which grader modules happened to be imported (another
    in the tests than on the command line). The checks choose their inputs with strategies;
    hypothesis's own edge-case constants still apply. Returns what to pass back to restore.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - hypothesis moved it: nothing to turn off
        return None
    if restore is not None:
        providers._get_local_constants = restore
        return None
    found = getattr(providers, "_get_local_constants", None)
    empty = getattr(providers, "Constants", None)
    if found is None or empty is None:
        return None
    none = empty()
    providers._get_local_constants = lambda: none
    return found


def _check_id(item: pytest.Item) -> str:
    """The catalog id of the check an item runs (its function's name if it has no marker)."""
    info: CheckInfo | None = getattr(getattr(item, "obj", None), "grader_check", None)
    return info.id if info else getattr(item, "originalname", item.name)


class GraderPlugin:
    """Registered with `pytest.main(plugins=[...])` for one grading session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pytest_configure(self, config: pytest.Config) -> None:
        # Hypothesis keeps caches in ./.hypothesis: never in the learner's folder (or wherever
        # grade was started). A private folder of this session's, removed at its end.
        self._home = tempfile.mkdtemp(prefix="grader-hypothesis-")
        set_hypothesis_home_dir(self._home)
        settings.register_profile(
            PROFILE,
            max_examples=self.session.max_examples,
            deadline=None,
            database=None,
            print_blob=False,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
        )
        settings.load_profile(PROFILE)
        self._local_constants = _no_local_constants()
        # A failed check's report is built from the exception itself (`classify`); pytest's
        # own long form of it, which parses the check module's source, costs 50 ms a failure.
        config.option.tbstyle = "native"

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        _no_local_constants(self._local_constants)
        set_hypothesis_home_dir(None)
        shutil.rmtree(self._home, ignore_errors=True)

    @pytest.fixture(scope="module")
    def learner(self, request: pytest.FixtureRequest) -> Any:
        return self.session.learners[request.module.__name__.rsplit(".", 1)[-1]]

    @pytest.fixture(scope="module")
    def run_devices(self) -> list[str]:
        return list(self.session.devices)

    @pytest.fixture(scope="module")
    def source(self, request: pytest.FixtureRequest) -> Any:
        return self.session.sources[request.module.__name__.rsplit(".", 1)[-1]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "device" in metafunc.fixturenames:
            metafunc.parametrize("device", self.session.devices)

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        share = self.session.share
        if share is not None:
            config.hook.pytest_deselected(items=[i for i in items if not share.runs(_check_id(i))])
            items[:] = [item for item in items if share.runs(_check_id(item))]
        profile = settings.get_profile(PROFILE)
        for item in items:
            # @given captures the settings in force when a module is first imported; a check
            # module imported earlier (another run in this process) must still use this run's.
            test: Any = getattr(item, "obj", None)
            if hasattr(test, "_hypothesis_internal_use_settings"):
                test._hypothesis_internal_use_settings = profile
            params = getattr(getattr(item, "callspec", None), "params", {})
            if params.get("device") == "cuda" and not self.session.cuda_available:
                item.add_marker(pytest.mark.skip(reason="no CUDA device"))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._record(item, report, call)

    def _record(self, item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo) -> None:
        info: CheckInfo | None = getattr(getattr(item, "obj", None), "grader_check", None)
        # Checks are test functions: the items this plugin records have a module.
        module = cast(pytest.Function, item).module.__name__.rsplit(".", 1)[-1]
        params = getattr(getattr(item, "callspec", None), "params", {})
        device = params.get("device", info.devices if info else "any")
        check_id = info.id if info else item.name
        if report.skipped:
            reason = (
                report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            )
            record = Record(
                check_id, device, "skipped", f"skipped: {reason.removeprefix('Skipped: ')}"
            )
        elif report.passed:
            record = Record(check_id, device, "passed")
        elif call.excinfo is not None:
            status, message, mistake, example, line = classify(call.excinfo.value)
            record = Record(check_id, device, status, message, mistake, example, line)
        else:
            record = Record(check_id, device, "error", f"internal: {report.longreprtext[:500]}")
        if info is None:
            record = Record(
                check_id, device, "error", "internal: a test in the checks has no @check marker"
            )
        self.session.records.setdefault(module, []).append(record)
