"""The `grade` command as a learner and a CI job use it (click's CliRunner)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cli_runner
from click.testing import CliRunner

from grader import catalog
from grader.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"


def invoke(*args: str):
    return cli_runner.invoke(list(args), catch_exceptions=False)


def test_reference_passes_with_exit_0(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "exercise01_squeeze.py").write_text(
        (ROOT / "solutions" / "exercise01_squeeze.py").read_text()
    )
    result = invoke("check", "exercise1", "--workspace", str(workspace), "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "passed" in result.output and "6/6" in result.output
    assert (workspace / ".grade" / "report.html").is_file()


def test_bare_id_means_check_and_stub_is_not_started_with_a_hint(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "exercise01_squeeze.py").write_text(
        (ROOT / "exercises" / "exercise01_squeeze.py").read_text()
    )
    result = invoke("exercise1", "--workspace", str(workspace))
    assert result.exit_code == 1, result.output
    assert "not started" in result.output
    assert "Hint: (1/" in result.output


def test_json_to_stdout_has_the_documented_shape(tmp_path: Path) -> None:
    result = invoke(
        "check",
        "exercise1",
        "--workspace",
        str(ROOT / "solutions"),
        "--json",
        "-",
        "--device",
        "cpu",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema_version"] == 1
    exercise = data["exercises"][0]
    assert set(exercise) >= {"id", "title", "status", "reason", "score", "max_score", "checks"}
    assert exercise["status"] == "passed"
    for check in exercise["checks"]:
        assert set(check) >= {
            "name",
            "device",
            "status",
            "points",
            "message",
            "diagnosis",
            "example",
        }
        assert check["status"] in ("passed", "skipped")
        if check["device"] == "cuda":
            assert check["status"] == "skipped" and check["message"] == "skipped: no CUDA device"


def test_failure_exits_1_and_names_the_mistake(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "exercise01_squeeze.py").write_text(
        (SUBMISSIONS / "exercise1" / "mistake_silent_squeeze.py").read_text()
    )
    out = tmp_path / "out.json"
    result = invoke(
        "check", "exercise1", "--workspace", str(workspace), "--json", str(out), "--device", "cpu"
    )
    assert result.exit_code == 1, result.output
    assert "squeeze(0) does nothing" in result.output
    data = json.loads(out.read_text())
    assert data["exercises"][0]["status"] == "failed"
    assert 0 < data["exercises"][0]["score"] < data["exercises"][0]["max_score"]


def test_unknown_id_is_a_usage_error_with_suggestions() -> None:
    result = invoke("check", "exercise99", "--workspace", str(ROOT / "solutions"))
    assert result.exit_code == 2, result.output
    assert "Unknown exercise 'exercise99'" in result.output
    assert "Try 'grade list'." in result.output
    typo = invoke("exercse1")
    assert typo.exit_code == 2 and "exercise1" in typo.output and "Try 'grade list'." in typo.output


def test_bad_option_values_are_usage_errors() -> None:
    for args in (
        ["--device", "tpu"],
        ["--seed", "-1"],
        ["--max-examples", "0"],
        ["--timeout", "0"],
    ):
        result = invoke("check", "exercise1", "--workspace", str(ROOT / "solutions"), *args)
        assert result.exit_code == 2, (args, result.output)


def test_missing_workspace_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("list")
    assert result.exit_code == 2, result.output
    assert "--workspace" in result.output


def test_missing_file_is_not_started(tmp_path: Path) -> None:
    result = invoke("check", "exercise1", "--workspace", str(tmp_path), "--json", "-")
    assert result.exit_code == 1, result.output
    exercise = json.loads(result.output)["exercises"][0]
    assert exercise["status"] == "not_started" and "no file" in exercise["reason"]


def test_list_shows_last_status_and_next(tmp_path: Path) -> None:
    (tmp_path / "exercise01_squeeze.py").write_text(
        (ROOT / "solutions" / "exercise01_squeeze.py").read_text()
    )
    invoke("check", "exercise1", "--workspace", str(tmp_path), "--device", "cpu")
    result = invoke("list", "--workspace", str(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("exercise1") and "passed" in lines[0]
    assert lines[1].startswith("exercise2") and "-/" in lines[1], "not run yet"
    assert f"1/{len(catalog.exercises())} exercises passed" in result.output
    assert "Next: exercise2" in result.output


def test_hint_advances_and_level_selects(tmp_path: Path) -> None:
    first = invoke("hint", "exercise1", "--workspace", str(tmp_path))
    second = invoke("hint", "exercise1", "--workspace", str(tmp_path))
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Hint 1/" in first.output and "Hint 2/" in second.output
    chosen = invoke("hint", "exercise1", "--level", "3", "--workspace", str(tmp_path))
    assert "Hint 3/" in chosen.output
    too_far = invoke("hint", "exercise1", "--level", "99", "--workspace", str(tmp_path))
    assert too_far.exit_code == 2 and "has 3 hints" in too_far.output


def test_chinese_hints_and_messages(tmp_path: Path) -> None:
    result = invoke("--lang", "zh", "hint", "exercise1", "--workspace", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "提示" in result.output


def test_stubs_and_syntax_errors_are_answered_without_torch(tmp_path: Path) -> None:
    """A learner's first runs (nothing written yet, a typo) need no worker and no torch import."""
    workspace = tmp_path / "ws"
    shutil.copytree(ROOT / "exercises", workspace)
    (workspace / "exercise02_to_numpy.py").write_text("def to_numpy(t):\n    return t.\n")
    code = (
        "import sys\n"
        "from grader.cli import cli\n"
        "from grader.sandbox import zygote\n"
        f"cli.main(['check', 'all', '--workspace', {str(workspace)!r}, '--json', '-'],"
        " standalone_mode=False)\n"
        "print('torch' in sys.modules, zygote._zygote is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report, _, loaded = done.stdout.rpartition("}")
    assert loaded.split() == ["False", "False"], done.stdout[-300:]
    run = json.loads(report + "}")
    import torch

    assert run["torch_version"] == torch.__version__
    statuses = {e["id"]: e["status"] for e in run["exercises"]}
    assert statuses.pop("exercise2") == "error"
    assert set(statuses.values()) == {"not_started"}


def test_a_file_name_for_an_id_suggests_the_id_once_and_cleanly() -> None:
    result = CliRunner().invoke(cli, ["exercise03_train_step.py"])
    assert result.exit_code == 2
    assert (
        "No such command or exercise 'exercise03_train_step.py'. Did you mean 'exercise3'? "
        "Try 'grade list'." in result.output
    )


def test_a_json_path_that_is_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["check", "exercise1", "--json", str(tmp_path), "--workspace", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "'--json'" in result.output and "is a directory" in result.output


def test_a_mistyped_workspace_is_a_usage_error_everywhere_and_creates_nothing(
    tmp_path: Path,
) -> None:
    typo = tmp_path / "exercsies"
    (tmp_path / "answers.toml").write_text("", encoding="utf-8")
    for command in (
        ["check", "exercise1"],
        ["list"],
        ["hint", "exercise1"],
        ["report"],
        ["reset", "exercise1"],
        ["quiz", "shapes", "--answers", str(tmp_path / "answers.toml")],
    ):
        result = CliRunner().invoke(cli, [*command, "--workspace", str(typo)])
        assert result.exit_code == 2, (command, result.output)
        assert f"'{typo}' is not a folder" in result.output, (command, result.output)
        assert not typo.exists(), command
