"""The allowlist sandbox against the attacks that beat the old blocklist (issue 13).

Each attack in `tests/attacks/` is graded as a learner's exercise 1, in every isolation mode
this machine offers: 'root' (namespaces, cgroups, a fresh uid) and 'userns' (the same through
an unprivileged user namespace; as root the test forces it). After each: the expected verdict,
nothing new in any world-writable host folder, no shared-memory segment, no process left.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from waiting import settled

from grader import catalog, nofollow, progress
from grader.engine.run import RunOptions, grade
from grader.report.writing import read_sources, write_reports
from grader.sandbox import isolation, namespaces, rootfs, zygote
from grader.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ROOT / "tests" / "attacks"
SOLUTION = ROOT / "solutions" / "exercise01_squeeze.py"
SHM_KEY = 0x6A7E5EED


def _modes() -> list:
    modes = []
    root = os.geteuid() == 0 and sys.platform.startswith("linux")
    for mode, as_root in (("root", True), ("userns", False)):
        usable = sys.platform.startswith("linux") and (as_root <= root)
        why = namespaces.usable(as_root) if usable else "needs root"
        modes.append(
            pytest.param(
                mode,
                marks=pytest.mark.skipif(bool(why), reason=f"{mode} isolation unavailable: {why}"),
            )
        )
    return modes


@pytest.fixture(params=_modes())
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Grade in this isolation mode (as root, 'userns' is forced: the same code path)."""
    monkeypatch.setattr(isolation, "_MODE", (request.param, ""))
    return request.param


def world_writable() -> list[str]:
    """Host folders any user may write to: where a worker would leave residue."""
    found = set()
    for top in ("/", "/var", "/run", "/dev", "/tmp", "/var/tmp"):
        try:
            entries = [top, *(os.path.join(top, e) for e in os.listdir(top))]
        except OSError:
            continue
        for path in entries:
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:
                found.add(path)
    return sorted(found | {"/var/lock"})


def shm_keys() -> set[int]:
    try:
        lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except OSError:
        return set()
    return {int(line.split()[0]) for line in lines if line.strip()}


def grade_attack(name: str, workspace: Path, **values: str):
    text = (ATTACKS / f"{name}.py").read_text().replace("{PROJECT}", str(ROOT))
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    workspace.mkdir(exist_ok=True)
    (workspace / "exercise01_squeeze.py").write_text(text)
    run = grade(
        RunOptions(
            workspace=workspace,
            exercises=(catalog.find("exercise1"),),
            device="cpu",
            limits=Limits(call_seconds=5, exercise_seconds=20, memory_bytes=1024**3),
            max_examples=5,
        )
    )
    progress.remember(workspace, run)
    return run


def test_reference_solution_is_out_of_reach_even_through_git(mode: str, tmp_path: Path) -> None:
    result = grade_attack("read_git_history", tmp_path / "ws").exercises[0]
    assert result.status == "failed" and result.score == 0, result
    assert "no reference solution could be read" in result.checks[0].message


def test_no_residue_in_host_folders_or_shared_memory(mode: str, tmp_path: Path) -> None:
    folders = world_writable()
    tag = uuid.uuid4().hex[:8]
    before = shm_keys()
    result = grade_attack("host_residue", tmp_path / "ws", FOLDERS=repr(folders), TAG=tag)
    assert result.exercises[0].status == "passed", result.exercises[0]
    left = [f for f in folders if os.path.lexists(os.path.join(f, f"grader-residue-{tag}"))]
    assert left == [], f"the worker wrote into host folders: {left}"
    assert SHM_KEY not in shm_keys() - before, "a SysV segment outlived the worker"


def test_grader_processes_are_invisible(mode: str, tmp_path: Path) -> None:
    result = grade_attack("read_grader_cmdline", tmp_path / "ws").exercises[0]
    assert result.status == "passed"
    seen = int(result.output.split("PROCESSES-SEEN:")[1].split()[0])
    assert seen <= 3, result.output  # init and the worker (and a reader): its own namespace only
    assert "pytest" not in result.output and os.environ["GRADER_TEST_SECRET"] not in result.output


def test_report_never_quotes_a_file_the_learner_linked(mode: str, tmp_path: Path) -> None:
    secret = tmp_path / "root-only.txt"
    secret.write_text("TOPSECRET one\nTOPSECRET two\nTOPSECRET three\n")
    secret.chmod(0o600)
    workspace = tmp_path / "ws"
    run = grade_attack(
        "becomes_symlink", workspace, WORKSPACE=str(workspace), SECRET_FILE=str(secret)
    )
    html = tmp_path / "report.html"
    write_reports(run, html=html, sources=read_sources(workspace, run))
    assert "TOPSECRET" not in html.read_text()
    assert not (workspace / "exercise01_squeeze.py").is_symlink(), (
        "the worker reached the workspace"
    )


def test_root_and_python_stay_read_only(mode: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    result = grade_attack("remount_writable", tmp_path / "ws", TAG=tag).exercises[0]
    planted = [p for p in (Path(sys.prefix), Path("/")) if (p / f"planted-{tag}.pth").exists()]
    for path in planted:
        (path / f"planted-{tag}.pth").unlink()
    assert planted == [] and "WROTE" not in result.output, result.output
    assert result.status == "passed"


def _daemon_names(tag: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() == f"grd-{tag}":
                found.append(entry)
        except OSError:
            continue
    return found


def test_a_process_that_tries_to_leave_its_groups_ends_with_the_worker(
    mode: str, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    result = grade_attack("leave_cgroup", tmp_path / "ws", TAG=tag).exercises[0]
    assert result.status == "passed"
    assert "MOVED-INTO-GROUPS: 0" in result.output, result.output
    assert settled(lambda: _daemon_names(tag)) == [], "a process outlived the worker"


def test_every_mount_but_the_scratch_space_is_read_only(mode: str, tmp_path: Path) -> None:
    result = grade_attack("list_writable_mounts", tmp_path / "ws").exercises[0]
    assert result.status == "passed", result
    writable = {
        line.split()[1] for line in result.output.splitlines() if line.startswith("WRITABLE-MOUNT:")
    }
    # Only the private tmpfs mounts (/tmp, /var/tmp, /dev/shm, /run/lock) and /proc, which
    # belongs to the worker's own PID namespace; nothing of the host, /sys's submounts included.
    assert writable <= {path for path, _ in rootfs.SCRATCH} | {"/proc"}, writable


def test_detached_processes_end_with_the_worker(mode: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    result = grade_attack("daemon_outlives", tmp_path / "ws", TAG=tag).exercises[0]
    assert result.status == "passed"
    assert settled(lambda: _daemon_names(tag)) == [], "a detached process outlived the worker"


@pytest.mark.parametrize("groups_removed", [True, False])
def test_the_uid_sweep_runs_only_when_the_workers_groups_could_not_be_emptied(
    groups_removed: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = isolation.Cgroups.create(f"grader-test-{os.getpid()}", 1024**3, 8)
    if isolation.mode()[0] != "root" or groups is None:
        pytest.skip("needs root isolation with cgroups (a worker's groups and a fresh uid)")
    groups.kill_all()
    asked: list[int | None] = []
    sweep, kill_all = zygote.Zygote.sweep, isolation.Cgroups.kill_all

    def spy_sweep(self: zygote.Zygote, uid: int | None = None) -> int:
        asked.append(uid)
        return sweep(self, uid)

    def spy_kill_all(self: isolation.Cgroups) -> bool:
        return kill_all(self) and groups_removed

    monkeypatch.setattr(zygote.Zygote, "sweep", spy_sweep)
    monkeypatch.setattr(isolation.Cgroups, "kill_all", spy_kill_all)
    tag = uuid.uuid4().hex[:8]
    result = grade_attack("daemon_outlives", tmp_path / "ws", TAG=tag).exercises[0]
    assert result.status == "passed"
    assert asked, "no worker was swept"
    if groups_removed:  # empty groups held every process: no fork of the server to sweep a uid
        assert asked == [None] * len(asked), asked
    else:
        assert all(uid in isolation.ISSUED_UIDS for uid in asked), asked
    assert settled(lambda: _daemon_names(tag)) == [], "a detached process outlived the worker"


def test_symlinked_exercise_file_is_an_error_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "exercise01_squeeze.py").symlink_to(SOLUTION)
    run = grade(RunOptions(workspace=tmp_path, exercises=(catalog.find("exercise1"),)))
    result = run.exercises[0]
    assert result.status == "error"
    assert result.reason == "file: exercise01_squeeze.py is a symlink; submit the file itself"


def test_symlinked_state_folder_is_never_written_through(tmp_path: Path) -> None:
    classmate = tmp_path / "classmate" / ".grade"
    classmate.mkdir(parents=True)
    (classmate / "last-run.json").write_text('{"theirs": true}')
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".grade").symlink_to(classmate)
    (workspace / "exercise01_squeeze.py").write_text(SOLUTION.read_text())
    run = grade(RunOptions(workspace=workspace, exercises=(catalog.find("exercise1"),)))
    progress.remember(workspace, run)
    assert (classmate / "last-run.json").read_text() == '{"theirs": true}'
    assert (workspace / ".grade").is_dir() and not (workspace / ".grade").is_symlink()


def test_reports_read_no_learner_file_through_a_symlink(tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("TOPSECRET = 1\n")
    (tmp_path / "exercise01_squeeze.py").symlink_to(secret)
    run = grade(RunOptions(workspace=tmp_path, exercises=(catalog.find("exercise1"),)))
    assert read_sources(tmp_path, run) == {}
    with pytest.raises(nofollow.NotRegularFile):
        nofollow.read_bytes(tmp_path / "exercise01_squeeze.py")


def test_allowlist_binds_a_private_folders_venv_but_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "private"
    venv = private / ".venv"
    (venv / "lib").mkdir(parents=True)
    (private / "solutions").mkdir()
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "path", [str(venv / "lib"), str(ROOT)])
    binds = rootfs.plan([], cuda=False).binds
    assert str(venv) in binds
    assert not any(Path(b) in (private, private / "solutions", ROOT, tmp_path) for b in binds)
    assert not any(str(ROOT / "solutions").startswith(b + "/") for b in binds if b != "/")


def test_unisolated_note_says_what_learner_code_can_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "_MODE", None)
    monkeypatch.setattr(namespaces, "usable", lambda as_root: "Operation not permitted")
    kind, note = isolation.mode()
    assert kind == "none"
    for risk in ("read your files", "environment of your other processes", "leave processes"):
        assert risk in note


@pytest.mark.slow
def test_private_seed_is_used_but_never_shown(tmp_path: Path) -> None:
    mistake = ROOT / "tests" / "submissions" / "exercise1" / "mistake_squeeze_all.py"
    (tmp_path / "exercise01_squeeze.py").write_text(mistake.read_text())
    command = [sys.executable, "-m", "grader", "check", "exercise1", "--workspace", str(tmp_path)]
    environment = dict(os.environ, GRADE_TEST_SEED="7")
    shown = subprocess.run(
        [*command, "--seed", "7", "--json", "-"], capture_output=True, text=True, check=False
    )
    private = subprocess.run(
        [*command, "--seed", "env:GRADE_TEST_SEED", "--json", "-"],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert '"seed": 7' in shown.stdout and '"seed": null' in private.stdout
    examples = [
        [line for line in r.stdout.splitlines() if '"example"' in line] for r in (shown, private)
    ]
    assert examples[0] == examples[1] and examples[0], "the private seed drives the same inputs"
    subprocess.run([*command, "--seed", "random"], capture_output=True, check=False)
    html = (tmp_path / ".grade" / "report.html").read_text()
    assert "private" in html


def test_a_student_whose_files_link_to_a_classmates_gets_no_grade_of_theirs(
    tmp_path: Path,
) -> None:
    from grader.classroom.grading import ClassOptions, grade_class, student_dir

    submissions = tmp_path / "submissions"
    alice, copier = submissions / "alice", submissions / "copier"
    alice.mkdir(parents=True)
    copier.mkdir()
    (alice / "exercise01_squeeze.py").write_text(SOLUTION.read_text())
    (copier / "exercise01_squeeze.py").symlink_to(alice / "exercise01_squeeze.py")
    (alice / ".grade").mkdir()
    (alice / ".grade" / "last-run.json").write_text('{"alice": true}')
    (copier / ".grade").symlink_to(alice / ".grade")
    out = tmp_path / "out"
    result = grade_class(
        ClassOptions(
            submissions=submissions,
            out=out,
            exercises=(catalog.find("exercise1"),),
            device="cpu",
            max_examples=5,
            limits=Limits(call_seconds=5, exercise_seconds=20),
            jobs=1,
            server=zygote.get(catalog.preloads()),  # the session's: no torch import per class
        )
    )
    rows = {s.id: s for s in result.students}
    assert rows["alice"].run is not None and rows["alice"].run.exercises[0].status == "passed"
    copied = rows["copier"].run.exercises[0] if rows["copier"].run else None
    assert copied is None or copied.status == "error", copied
    if copied is not None:
        assert "symlink" in copied.reason
    assert (alice / ".grade" / "last-run.json").read_text() == '{"alice": true}'
    assert (student_dir(out, "alice") / "results.json").is_file()


def test_allowlist_never_binds_a_folder_that_holds_scratch_space(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "checkout" / ".venv"
    venv.mkdir(parents=True)
    monkeypatch.setattr(sys, "path", ["/", "/tmp", "/run", str(venv)])
    binds = rootfs.plan([], cuda=False).binds
    assert not {"/", "/tmp", "/run", "/var", "/dev"} & set(binds)
    assert str(venv) in binds  # a Python under /tmp is bound on top of the private /tmp
