"""`grade verify --mutants`: grade every mutant of the references and report the mutation score.

A mutant is killed when its grade is anything but `passed`: some check noticed the fault.
A mutant that passes is either equivalent to the reference (no input can tell them apart, or
the difference is outside what the exercise asks) or a hole in the checks. Which is which is
a person's judgement, kept as data in `mutants_equivalent.toml` next to the catalog (one entry
per mutant id with a one-line reason); the score is the share of the other mutants killed,
and the run fails while any of them survives.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader import catalog
from grader.catalog import Exercise
from grader.instructor import mutants

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

EQUIVALENTS_NAME = "mutants_equivalent.toml"
MUTANT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Outcome:
    """What grading one mutant gave: killed (and by what), survived, or undecided."""

    mutant: mutants.Mutant
    verdict: str  # "killed" | "survived" | "equivalent" | "undecided"
    detail: str = ""


@dataclass
class MutationReport:
    """All outcomes, with the notes about the equivalents data."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, verdict: str, exercise: str | None = None) -> int:
        return sum(
            o.verdict == verdict and exercise in (None, o.mutant.exercise) for o in self.outcomes
        )

    @property
    def ok(self) -> bool:
        """Whether every non-equivalent mutant was killed."""
        return not self.count("survived") and not self.count("undecided")

    def score_line(self, exercise: str | None = None) -> str:
        """`12/12 killed (100.0 %), 3 equivalent`: the score over the non-equivalent mutants."""
        killed = self.count("killed", exercise)
        judged = killed + self.count("survived", exercise) + self.count("undecided", exercise)
        share = 100.0 * killed / judged if judged else 100.0
        line = f"{killed}/{judged} non-equivalent mutants killed ({share:.1f} %)"
        line += f", {self.count('equivalent', exercise)} listed equivalent"
        undecided = self.count("undecided", exercise)
        return line + (f", {undecided} undecided" if undecided else "")

    def lines(self) -> list[str]:
        """The printed report: one line per exercise, then every survivor with its diff."""
        out = []
        exercises = list(dict.fromkeys(o.mutant.exercise for o in self.outcomes))
        for exercise in exercises:
            out.append(f"{exercise}: {self.score_line(exercise)}")
        for outcome in self.outcomes:
            if outcome.verdict in ("survived", "undecided"):
                m = outcome.mutant
                why = f" ({outcome.detail})" if outcome.detail else ""
                out.append(f"{outcome.verdict}: {m.id} line {m.line}: {m.description}{why}")
                out.extend(f"    {line}" for line in m.diff.splitlines())
        out.append(f"mutation score: {self.score_line()}.")
        return out


def equivalents_path() -> Path:
    """The equivalents data next to the catalog in use (a private folder's, or the shipped)."""
    return catalog.catalog_path().parent / EQUIVALENTS_NAME


def load_equivalents(path: Path | None = None) -> dict[str, str]:
    """Mutant id -> reason, from the equivalents file (empty when there is none)."""
    path = Path(path or equivalents_path())
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for entry in data.get("equivalent", []):
        mutant_id, reason = str(entry.get("id", "")), str(entry.get("reason", "")).strip()
        if not mutant_id or not reason:
            raise catalog.CatalogError(f"{path}: every [[equivalent]] needs an id and a reason")
        found[mutant_id] = reason
    return found


def mutants_of(exercises: Iterable[Exercise], solutions: Path) -> list[mutants.Mutant]:
    """Every mutant of the references of `exercises` found in `solutions`."""
    found: list[mutants.Mutant] = []
    for exercise in exercises:
        path = Path(solutions) / exercise.file
        if path.is_file():
            found.extend(mutants.generate(exercise.id, path.read_text(encoding="utf-8")))
    return found


def _grade(workspace: Path, exercise: Exercise, max_examples: int) -> dict:
    """Grade one mutant like a submission, on every device here; the verdict as plain data."""
    from grader.engine.run import RunOptions, grade
    from grader.sandbox.limits import Limits

    limits = Limits(call_seconds=10.0, exercise_seconds=MUTANT_TIMEOUT)
    options = RunOptions(workspace, (exercise,), max_examples=max_examples, limits=limits)
    result = grade(options).exercises[0]
    return {
        "status": result.status,
        "reason": result.reason,
        "score": result.score,
        "max_score": result.max_score,
        "checks": [
            {"name": c.name, "status": c.status, "mistake": c.mistake} for c in result.checks
        ],
    }


def _verdict(done: dict | None) -> tuple[str, str]:
    """killed/survived/undecided from one grade, with what killed it."""
    if done is None:
        return "undecided", "the grading job died"
    if done["status"] == "error" and str(done["reason"]).startswith("internal"):
        return "undecided", done["reason"]
    if done["status"] == "passed" and done["score"] >= done["max_score"]:
        return "survived", ""
    failing = [
        c["mistake"] or c["name"]
        for c in done["checks"]
        if c["status"] not in ("passed", "skipped")
    ]
    return "killed", done["reason"] or ", ".join(dict.fromkeys(failing))


def _grade_all(
    items: list[str],
    work: Callable[[str], dict],
    jobs: int,
    progress: Callable | None,
    preloads: tuple[str, ...],
) -> dict[str, dict | None]:
    """`work` over `items` in forked jobs, telling `progress(done, total)` as they finish.

    The jobs share the process's fork server (with `preloads`) instead of starting one each.
    """
    from grader.engine.jobs import run_in_jobs
    from grader.sandbox import zygote

    finished = 0

    def on_done(item: str, result: dict | None) -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, len(items))

    if jobs > 1 and len(items) > 1:
        return run_in_jobs(items, work, jobs, on_done, server=zygote.get(preloads))
    done: dict[str, dict | None] = {}
    for item in items:
        done[item] = work(item)
        on_done(item, done[item])
    return done


def run(
    exercises: Iterable[Exercise],
    solutions: Path,
    *,
    jobs: int = 1,
    max_examples: int = 20,
    sample: int | None = None,
    equivalents: dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MutationReport:
    """Grade the mutants of `exercises` (all, or a deterministic `sample`) and judge them."""
    exercises = list(exercises)
    by_id = {e.id: e for e in exercises}
    every = mutants_of(exercises, solutions)
    chosen = mutants.sample(every, sample) if sample is not None else every
    equivalents = load_equivalents() if equivalents is None else equivalents
    report = MutationReport()
    known = {m.id for m in every}
    for mutant_id in sorted(equivalents):
        if mutant_id.split(":", 1)[0] in by_id and mutant_id not in known:
            report.notes.append(f"{mutant_id} is listed equivalent but no longer generated")
    with tempfile.TemporaryDirectory(prefix="grade-mutants-") as scratch:
        places: dict[str, tuple[Path, mutants.Mutant]] = {}
        for number, mutant in enumerate(chosen):
            workspace = Path(scratch) / f"m{number}"
            workspace.mkdir()
            (workspace / by_id[mutant.exercise].file).write_text(mutant.source, encoding="utf-8")
            places[mutant.id] = (workspace, mutant)

        def work(item: str) -> dict:
            workspace, mutant = places[item]
            return _grade(workspace, by_id[mutant.exercise], max_examples)

        done = _grade_all(list(places), work, jobs, progress, catalog.preloads(exercises))
    for mutant in chosen:
        verdict, detail = _verdict(done.get(mutant.id))
        if mutant.id in equivalents:
            if verdict == "killed":
                report.notes.append(
                    f"{mutant.id} is listed equivalent but was killed ({detail}): remove its entry"
                )
            else:
                verdict, detail = "equivalent", equivalents[mutant.id]
        report.outcomes.append(Outcome(mutant, verdict, detail))
    by_timeout = [o.mutant.id for o in report.outcomes if o.detail.startswith("timeout")]
    if by_timeout:
        # A busy machine turns slow mutants into timeouts: those kills prove nothing.
        report.notes.append(
            f"{len(by_timeout)} mutants were killed by a timeout, not by a check (on a busy "
            f"machine an equivalent mutant can time out): {', '.join(by_timeout[:10])}"
        )
    return report
