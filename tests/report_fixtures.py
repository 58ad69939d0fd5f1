"""A miniature grading run for the report tests: every status, and hostile learner text."""

from __future__ import annotations

from grader.results import CheckResult, ExerciseResult, RunResult

SCRIPT = "<script>document.title='PWNED'</script>"
IMG = "<img src=x onerror=\"document.title='PWNED'\">"
ANSI = "\x1b[31m"
RESET = "\x1b[0m"
NO_CUDA = "skipped: no CUDA device"

SOURCES = {
    "exercise2": (
        "import torch\n"
        "\n"
        "def add_batch_dim(image):\n"
        f"    # {SCRIPT}\n"
        "    return image.unsqueeze(-1)\n"
        "\n"
        "def remove_batch_dim(batch):\n"
        "    return batch.squeeze()\n"
    ),
}


def _check(name: str, device: str, status: str, max_points: float = 1.0, **fields) -> CheckResult:
    earned = max_points if status == "passed" else 0.0
    if status == "skipped":
        max_points = 0.0
        fields.setdefault("message", NO_CUDA)
    return CheckResult(
        name=name,
        device=device,
        status=status,
        points=earned,
        max_points=max_points,
        title=fields.pop("title", name.replace("_", " ")),
        **fields,
    )


def sample_run() -> RunResult:
    """passed, failed (diagnosis + example + line), error (timeout, crash), skipped cuda,
    not started, and an id outside the catalog."""
    passed = ExerciseResult(
        id="exercise1",
        title="Shapes: squeeze and unsqueeze",
        status="passed",
        score=6.0,
        max_score=6.0,
        checks=[
            _check("add_batch_dim_shape", "cpu", "passed", 2.0),
            _check("add_batch_dim_shape", "cuda", "skipped"),
            _check("add_batch_dim_view", "emulated", "passed", 1.0),
            _check("remove_batch_dim_shape", "cpu", "passed", 2.0),
            _check("remove_batch_dim_shape", "cuda", "skipped"),
            _check("remove_batch_dim_rejects", "any", "passed", 1.0),
        ],
        duration=0.4,
    )
    failed = ExerciseResult(
        id="exercise2",
        title=f"Batches {SCRIPT}",
        status="failed",
        score=2.0,
        max_score=6.0,
        checks=[
            _check(
                "add_batch_dim_shape",
                "cpu",
                "failed",
                2.0,
                title="add_batch_dim turns (C, H, W) into (1, C, H, W)",
                message=(
                    f"add_batch_dim(image): shape (1, 1, 2, 1), expected (1, 1, 1, 2). {ANSI}"
                    f"red{RESET} {SCRIPT}"
                ),
                diagnosis="The new dimension went to the end: use unsqueeze(0).",
                mistake="unsqueeze_last",
                example=f"image = tensor([[[-6.0, -11.0]]]) {IMG}",
                line=5,
            ),
            _check("add_batch_dim_shape", "cuda", "skipped"),
            _check(
                "remove_batch_dim_shape",
                "emulated",
                "failed",
                2.0,
                message="your code raised RuntimeError: " + "x" * 5000,
                line=8,
            ),
            _check("uses_squeeze_zero", "source", "passed", 2.0),
        ],
        hint="(1/3) A batch of one has a new dimension of size 1 in front.",
        output=f"{ANSI}debug{RESET} {SCRIPT}\n" + "y" * 3000 + "\nlast line",
        duration=0.8,
    )
    timeout = ExerciseResult(
        id="exercise3",
        title="Autograd",
        status="error",
        reason="timeout: grad_of_square took longer than 10 s",
        score=1.0,
        max_score=4.0,
        checks=[
            _check("grad_shape", "cpu", "passed", 1.0),
            _check("grad_shape", "cuda", "skipped"),
            _check(
                "grad_values",
                "cpu",
                "error",
                3.0,
                message="timeout: grad_of_square took longer than 10 s",
            ),
        ],
        hint="(1/3) Call backward() once.",
    )
    crash = ExerciseResult(
        id="exercise4",
        title="Datasets",
        status="error",
        reason=f"crash: the worker died (signal 11) {ANSI}{SCRIPT}",
        max_score=5.0,
        output=f"Segmentation fault {ANSI}",
        hint="(1/3) Return a tuple.",
    )
    not_started = ExerciseResult(
        id="exercise5",
        title="Training loop",
        status="not_started",
        max_score=8.0,
        hint="(1/3) Start with model.train().",
    )
    quiz = ExerciseResult(
        id="quiz:autograd",
        title="Quiz: autograd",
        status="passed",
        score=3.0,
        max_score=3.0,
        checks=[_check("q1", "any", "passed", 3.0)],
    )
    return RunResult(
        exercises=[passed, failed, timeout, crash, not_started, quiz],
        seed=7,
        devices=["cpu", "cuda"],
        torch_version="2.14.1",
        grader_version="0.1.0",
        duration=3.25,
        notes=[f"note {SCRIPT}"],
    )


def check_counts(run: RunResult) -> dict[str, int]:
    """How many check results of each status a run holds (what the writers must report)."""
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for exercise in run.exercises:
        for check in exercise.checks:
            counts[check.status] += 1
    return counts


def assert_atomic(write, path, monkeypatch, break_render) -> None:
    """An interrupted write leaves the previous file whole and no temporary file behind.

    `write(path)` writes the report; `break_render(monkeypatch)` makes its rendering raise
    midway. Both a render that raises and a write that dies before the rename are tried.
    """
    import os

    import pytest

    from grader import results

    path.write_text("previous report\n", encoding="utf-8")

    def before() -> set[str]:
        return {p.name for p in path.parent.iterdir()}

    names = before()
    with monkeypatch.context() as m:
        break_render(m)
        with pytest.raises(RuntimeError, match="interrupted"):
            write(path)
    assert path.read_text(encoding="utf-8") == "previous report\n"
    assert before() == names

    def lose_power(fd: int) -> None:
        raise RuntimeError("interrupted before the rename")

    with monkeypatch.context() as m:
        m.setattr(results.os, "fsync", lose_power)
        with pytest.raises(RuntimeError, match="interrupted"):
            write(path)
    assert path.read_text(encoding="utf-8") == "previous report\n"
    assert before() == names
    write(path)
    assert path.read_text(encoding="utf-8") != "previous report\n"
    assert before() == names
    assert os.access(path, os.R_OK)
