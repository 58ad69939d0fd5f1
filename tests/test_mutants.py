"""Mutation analysis of the references: the operators, stable ids, the equivalents data, the run.

The full run over every mutant is a command (`grade verify --mutants`, a few minutes on two
cores); CI grades a deterministic sample of it (the slow test at the end) and prints the score.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import catalog
from grader.cli import cli
from grader.instructor import mutants, mutation

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CI_SAMPLE = 42

TRAINING = '''
"""A module docstring: never mutated."""
import torch
from torch import nn


def train_step(model: nn.Module, optimizer, x: torch.Tensor, y: torch.Tensor) -> float:
    """One step."""
    model.train()
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean(dim=0, keepdim=True).sum()
    loss.backward()
    optimizer.step()
    return loss.detach().cpu().item()


def evaluate(model: nn.Module, x: torch.Tensor, size: int = 3) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        out = model(x).reshape(-1).add_(1)
    layer = nn.Linear(size, 2, bias=False)
    if size > 2 and not model.training:
        return out.permute(0) * 2
    return out
'''


def operators_of(text: str) -> dict[str, list[mutants.Mutant]]:
    found: dict[str, list[mutants.Mutant]] = {}
    for mutant in mutants.generate("demo", text):
        found.setdefault(mutant.operator, []).append(mutant)
    return found


def changed(mutant: mutants.Mutant) -> list[str]:
    return [line for line in mutant.diff.splitlines() if line[:1] in "+-"]


def test_pytorch_operators_seed_the_faults_people_write():
    found = operators_of(TRAINING)
    removed = {m.description.split(": ", 1)[1] for m in found["remove_call"]}
    assert removed == {
        "drop .train()",
        "drop .zero_grad()",
        "drop .detach()",
        "drop .cpu()",
        "drop .eval()",
    }
    orders = {m.description.split(": ", 1)[1] for m in found["swap_order"]}
    assert orders == {"backward() before zero_grad()", "step() before zero_grad()"} | {
        "step() before backward()"
    }
    assert any("with torch.no_grad()" in line for line in changed(found["remove_no_grad"][0]))
    dims = {m.description.split(": ", 1)[1] for m in found["change_dim"]}
    assert {"dim=0 -> dim=1", "dim=0 -> dim=-1", "keepdim=True -> False"} <= dims
    assert {m.description.split(": ", 1)[1] for m in found["drop_torch_keyword"]} == {"drop bias="}
    assert any(
        "+        out = model(x).view(-1).add_(1)" in changed(m) for m in found["reshape_view"]
    )
    in_place = {m.description.split(": ", 1)[1] for m in found["in_place"]}
    assert {".add_() -> .add()", ".pow() -> .pow_()"} <= in_place
    reshaped = changed(found["permute_to_reshape"][0])
    assert reshaped[-1][1:].strip() == "return out.reshape(out.shape[0]) * 2"


def test_classic_operators_seed_one_edit_faults():
    found = operators_of(TRAINING)
    for operator in (
        "delete_call",
        "swap_statements",
        "drop_keyword",
        "drop_chain_call",
        "nudge_integer",
        "flip_boolean",
        "flip_comparison",
        "swap_arithmetic",
    ):
        assert found.get(operator), operator
    assert any("size > 2 or not" in "".join(changed(m)) for m in found["flip_boolean"])
    assert any("size >= 2" in "".join(changed(m)) for m in found["flip_comparison"])
    assert any("size: int=4" in "".join(changed(m)) for m in found["nudge_integer"])


def test_each_mutant_is_one_distinct_compilable_change():
    every = mutants.generate("demo", TRAINING)
    original = ast.unparse(ast.parse(TRAINING))
    assert len({m.source for m in every}) == len(every)
    assert len({m.id for m in every}) == len(every)
    for mutant in every:
        compile(mutant.source, mutant.id, "exec")
        assert mutant.source.strip() != original
        assert changed(mutant), mutant.id


def test_docstrings_imports_annotations_and_definitions_are_left_alone():
    for mutant in mutants.generate("demo", TRAINING):
        edits = "\n".join(changed(mutant))
        assert "docstring" not in edits and "One step" not in edits
        assert "import" not in edits
        assert "-> float" not in edits.replace("-def", "")
    swaps = [m for m in mutants.generate("demo", TRAINING) if m.operator == "swap_statements"]
    assert all("def " not in "".join(changed(m)) for m in swaps)


def test_ids_survive_edits_elsewhere_in_the_reference():
    before = {m.id: m.description for m in mutants.generate("demo", TRAINING)}
    edited = TRAINING.replace("import torch\n", "import torch\n\nSCALE = 1.5\n")
    after = {m.id: m.description for m in mutants.generate("demo", edited)}
    assert set(before) <= set(after)
    assert all(after[k] == v for k, v in before.items())


@pytest.mark.slow
def test_sample_is_deterministic_and_spread_over_exercises():
    every = mutation.mutants_of(catalog.exercises(), SOLUTIONS)
    first = mutants.sample(every, 28)
    assert {m.id for m in first} == {m.id for m in mutants.sample(list(reversed(every)), 28)}
    counts: dict[str, int] = {}
    for mutant in first:
        counts[mutant.exercise] = counts.get(mutant.exercise, 0) + 1
    assert len(counts) == len({m.exercise for m in every})
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.slow
def test_equivalents_name_generated_mutants_with_a_reason():
    path = catalog.PACKAGE_DIR / mutation.EQUIVALENTS_NAME
    listed = mutation.load_equivalents(path)
    assert listed, "the shipped equivalents file is empty or missing"
    generated = {m.id for m in mutation.mutants_of(catalog.exercises(), SOLUTIONS)}
    stale = sorted(set(listed) - generated)
    assert not stale, f"listed equivalent but no longer generated: {stale}"
    assert all(len(reason) > 10 for reason in listed.values())


def test_an_equivalents_entry_without_reason_is_refused(tmp_path):
    path = tmp_path / mutation.EQUIVALENTS_NAME
    path.write_text('[[equivalent]]\nid = "exercise1:delete_call:0"\n', encoding="utf-8")
    with pytest.raises(catalog.CatalogError, match="needs an id and a reason"):
        mutation.load_equivalents(path)


def test_a_surviving_mutant_fails_the_report_and_shows_its_diff():
    mutant = mutants.generate("demo", TRAINING)[0]
    report = mutation.MutationReport(
        outcomes=[
            mutation.Outcome(mutant, "killed", "some_check"),
            mutation.Outcome(mutant, "equivalent", "why"),
            mutation.Outcome(mutant, "survived"),
        ]
    )
    assert not report.ok
    lines = report.lines()
    assert lines[0] == "demo: 1/2 non-equivalent mutants killed (50.0 %), 1 listed equivalent"
    assert any(line.startswith(f"survived: {mutant.id}") for line in lines)
    assert any(line.startswith("    ") for line in lines)
    report.outcomes.pop()
    assert report.ok and report.score_line().startswith("1/1 non-equivalent")


def test_verdicts_from_grades():
    passed = {"status": "passed", "reason": "", "score": 3.0, "max_score": 3, "checks": []}
    failed = {
        "status": "failed",
        "reason": "",
        "score": 1.0,
        "max_score": 3,
        "checks": [{"name": "c", "status": "failed", "mistake": "oops"}],
    }
    internal = {**failed, "status": "error", "reason": "internal: bug"}
    assert mutation._verdict(passed) == ("survived", "")
    assert mutation._verdict(failed) == ("killed", "oops")
    assert mutation._verdict(internal)[0] == "undecided"
    assert mutation._verdict(None)[0] == "undecided"


def test_sample_without_mutants_is_a_usage_error():
    result = CliRunner().invoke(cli, ["verify", "--sample", "3"])
    assert result.exit_code == 2
    assert "--sample goes with --mutants" in result.output


@pytest.mark.slow
def test_sampled_mutants_are_killed_or_listed_equivalent(capsys):
    report = mutation.run(catalog.exercises(), SOLUTIONS, jobs=2, sample=CI_SAMPLE)
    with capsys.disabled():
        print(f"\nmutation score (sample of {CI_SAMPLE}): {report.score_line()}")
    assert report.ok, "\n".join(report.lines())
