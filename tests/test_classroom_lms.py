"""`grade class` from an LMS download to an LMS upload: layouts, gradebook formats, overrides,
deadlines, pseudonyms, similarity. Most tests build the class result directly (no grading)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from waiting import settled

from grader import catalog
from grader.classroom import layout as classroom_layout
from grader.classroom.gradebook import (
    canvas_rows,
    class_key,
    csv_rows,
    moodle_rows,
    pseudonym,
    write_gradebooks,
)
from grader.classroom.model import ClassOptions, ClassResult, Student
from grader.classroom.policy import PolicyError, grade_of, load
from grader.classroom.report import render_class
from grader.classroom.similarity import clusters, fingerprint
from grader.results import ExerciseResult, RunResult
from grader.sandbox import zygote

ROOT = Path(__file__).resolve().parent.parent
EX1 = "exercise01_squeeze.py"
EXERCISES = (catalog.find("exercise1"), catalog.find("exercise2"))


def run(score1: float, score2: float, status2: str = "failed", reason2: str = "") -> RunResult:
    return RunResult(
        exercises=[
            ExerciseResult(
                "exercise1", "Shapes", "passed" if score1 == 6 else "failed", "", score1, 6
            ),
            ExerciseResult("exercise2", "NumPy", status2, reason2, score2, 13),
        ],
        devices=["cpu"],
    )


def result_of(tmp_path: Path, students: list[Student], **changes: object) -> ClassResult:
    fields = {"submissions": tmp_path, "out": tmp_path / "out", "exercises": EXERCISES} | changes
    return ClassResult(ClassOptions(**fields), students)


def class_rows(tmp_path: Path) -> ClassResult:
    return result_of(
        tmp_path,
        [
            Student("José García", "d1", run(6, 13, "passed"), folder=tmp_path),
            Student(
                "学生 王芳", "d2", run(4, 0, "error", "timeout: took too long"), folder=tmp_path
            ),
            Student("empty", "", problem="missing", error="no exercise file in the submission"),
        ],
    )


def test_a_students_files_are_found_at_the_top_or_in_one_nested_folder(tmp_path: Path) -> None:
    (tmp_path / "top").mkdir()
    (tmp_path / "top" / EX1).write_text("")
    (tmp_path / "nested" / "exercises").mkdir(parents=True)
    (tmp_path / "nested" / "exercises" / EX1).write_text("")
    (tmp_path / "wrapped" / "hw1-José").mkdir(parents=True)
    (tmp_path / "wrapped" / "hw1-José" / EX1).write_text("")
    (tmp_path / "wrapped" / "__MACOSX").mkdir()
    (tmp_path / "empty").mkdir()
    (tmp_path / "two" / "a").mkdir(parents=True)
    (tmp_path / "two" / "b").mkdir()
    (tmp_path / "two" / "a" / EX1).write_text("")
    (tmp_path / "two" / "b" / EX1).write_text("")
    found = {s.id: s for s in classroom_layout.submissions(tmp_path, tmp_path / "unpacked")}
    assert found["top"].folder == tmp_path / "top" and not found["top"].problem
    assert found["nested"].folder == tmp_path / "nested" / "exercises"
    assert found["wrapped"].folder == tmp_path / "wrapped" / "hw1-José"
    assert found["empty"].problem == "missing"
    assert found["two"].problem == "missing"  # two candidate folders: not guessed


def test_a_folder_of_zips_is_unpacked_safely_and_a_broken_zip_is_unreadable(tmp_path) -> None:
    submissions = tmp_path / "class"
    submissions.mkdir()
    with zipfile.ZipFile(submissions / "ann.zip", "w") as archive:
        archive.writestr("exercises/" + EX1, "x = 1\n")
        archive.writestr("../escaped.py", "x = 1\n")
        link = zipfile.ZipInfo("exercises/link.py")
        link.external_attr = 0o120777 << 16  # a symlink entry
        archive.writestr(link, "/etc/passwd")
    (submissions / "bob.zip").write_bytes(b"not a zip")
    found = {s.id: s for s in classroom_layout.submissions(submissions, tmp_path / "unpacked")}
    assert found["ann"].folder == tmp_path / "unpacked" / "ann" / "exercises"
    assert (found["ann"].folder / EX1).read_text() == "x = 1\n"
    assert not (tmp_path / "unpacked" / "escaped.py").exists()
    assert not (found["ann"].folder / "link.py").exists()
    assert found["bob"].problem == "unreadable" and "zip" in found["bob"].detail


def read(rows: list[list[str]]) -> list[dict[str, str]]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return list(csv.DictReader(io.StringIO(buffer.getvalue())))


def test_gradebook_lists_everyone_with_statuses_and_points_possible(tmp_path: Path) -> None:
    rows = read(csv_rows(class_rows(tmp_path)))
    possible, jose, wang, empty = rows
    assert possible["student"] == "Points Possible" and possible["total"] == "19"
    assert (jose["total"], jose["max"], jose["status"]) == ("19", "19", "graded")
    assert wang["exercise2 status"] == "error: timeout" and wang["total"] == "4"
    assert empty["status"] == "missing" and empty["exercise1"] == "" and empty["max"] == "19"


def test_gradebook_files_have_a_bom_unless_plain(tmp_path: Path) -> None:
    result = class_rows(tmp_path)
    out = tmp_path / "out"
    write_gradebooks(result, out)
    assert (out / "gradebook.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "José García" in (out / "gradebook.csv").read_text(encoding="utf-8-sig")
    write_gradebooks(result, out, plain=True)
    assert (out / "gradebook.csv").read_bytes().startswith(b"student,")


def test_canvas_and_moodle_formats(tmp_path: Path) -> None:
    result = class_rows(tmp_path)
    canvas = canvas_rows(result)
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0] == "Points Possible" and canvas[1][-1] == "19"
    assert canvas[2][0] == canvas[2][3] == "José García"
    moodle = read(moodle_rows(result))
    assert moodle[0]["Username"] == "José García" and moodle[0]["Total"] == "19"
    assert moodle[2]["Feedback"] == "missing" and moodle[2]["Total"] == ""


def test_anonymised_gradebooks_use_stable_pseudonyms(tmp_path: Path) -> None:
    result = class_rows(tmp_path)
    out = tmp_path / "out"
    write_gradebooks(result, out, formats=("canvas",), anonymise=True)
    first = (out / "anonymised" / "gradebook.csv").read_text(encoding="utf-8-sig")
    write_gradebooks(result, out, formats=("canvas",), anonymise=True)
    assert (out / "anonymised" / "gradebook.csv").read_text(encoding="utf-8-sig") == first
    assert "José" not in first and pseudonym(class_key(out), "José García") in first
    assert "José" not in (out / "anonymised" / "gradebook-canvas.csv").read_text("utf-8-sig")
    assert oct((out / ".pseudonym-key").stat().st_mode & 0o777) == "0o600"


def test_overrides_apply_on_every_run_and_are_shown(tmp_path: Path) -> None:
    (tmp_path / "overrides.toml").write_text(
        '[[override]]\nstudent = "学生 王芳"\nexercise = "exercise2"\npoints = 10\n'
        'reason = "regrade: the fix was mailed in time"\n'
        '[[override]]\nstudent = "José García"\nexercise = "exercise1"\nstatus = "excused"\n'
    )
    result = class_rows(tmp_path)
    result.policy = load(tmp_path / "overrides.toml", None)
    rows = read(csv_rows(result))
    assert rows[2]["exercise2"] == "10" and rows[2]["exercise2 status"] == "overridden"
    assert "regrade: the fix was mailed in time" in rows[2]["notes"]
    assert rows[1]["max"] == "13" and rows[1]["exercise1 status"] == "excused"
    assert "regrade: the fix was mailed in time" in render_class(result)


def test_bad_policy_files_are_errors_that_name_the_entry(tmp_path: Path) -> None:
    (tmp_path / "o.toml").write_text('[[override]]\nstudent = "a"\nexercise = "exercise1"\n')
    with pytest.raises(PolicyError, match="override 1"):
        load(tmp_path / "o.toml", None)
    (tmp_path / "d.toml").write_text("penalty_per_day = 10\n")
    with pytest.raises(PolicyError, match="due"):
        load(None, tmp_path / "d.toml")


def test_late_penalties_use_file_times_and_extensions(tmp_path: Path) -> None:
    due = dt.datetime(2026, 5, 1, 23, 59, tzinfo=dt.timezone.utc)
    students = []
    for name in ("early", "late", "extended"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / EX1).write_text("x = 1\n")
        when = due + (dt.timedelta(hours=-1) if name == "early" else dt.timedelta(hours=30))
        os.utime(folder / EX1, (when.timestamp(), when.timestamp()))
        students.append(Student(name, "", run(6, 13, "passed"), folder=folder))
    (tmp_path / "d.toml").write_text(
        "due = 2026-05-01T23:59:00Z\npenalty_per_day = 10\n"
        "[extensions]\nextended = 2026-05-03T23:59:00Z\n"
    )
    result = result_of(tmp_path, students)
    result.policy = load(None, tmp_path / "d.toml")
    grades = {s.id: grade_of(s, result, result.policy) for s in students}
    assert grades["early"].late_days == 0 and grades["early"].total == 19
    assert grades["late"].late_days == 2 and grades["late"].total == pytest.approx(19 * 0.8)
    assert grades["extended"].late_days == 0
    rows = read(csv_rows(result))
    assert (
        rows[2]["late days"] == "2" and rows[2]["penalty %"] == "20" and rows[2]["final"] == "15.2"
    )


def test_same_code_under_other_names_is_clustered_but_stubs_and_short_code_are_not(
    tmp_path: Path,
) -> None:
    reference = (ROOT / "solutions" / EX1).read_text()
    disguised = "# my own work\n" + reference.replace("image", "picture").replace("    ", "  ")
    stub = (ROOT / "grader" / "stubs" / EX1).read_text()
    sources = {
        "ann": reference,
        "ben": disguised,
        "cat": stub,
        "dan": stub,
        "eve": "def add_batch_dim(x):\n    return x\n",
        "fay": "def add_batch_dim(y):\n    return y\n",
    }
    students = []
    for name, text in sources.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / EX1).write_text(text)
        students.append(Student(name, "", run(6, 0), folder=tmp_path / name))
    result = result_of(tmp_path, students)
    assert fingerprint(reference) == fingerprint(disguised)
    found = clusters(result)
    assert [(c.exercise, c.students) for c in found] == [("exercise1", ("ann", "ben"))]
    page = render_class(result)
    assert 'id="similar"' in page and "ann, ben" in page and "add_batch_dim" in page


def test_class_page_says_which_devices_really_ran_and_how_gpu_checks_count(tmp_path) -> None:
    page = render_class(class_rows(tmp_path))
    devices = page.split("<dt>Devices</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert devices == "None" or "cuda" not in devices
    assert "Extra credit" in page


def test_zip_times_are_kept_for_deadlines(tmp_path: Path) -> None:
    info = zipfile.ZipInfo(EX1, date_time=(2026, 5, 3, 12, 0, 0))
    with zipfile.ZipFile(tmp_path / "ann.zip", "w") as archive:
        archive.writestr(info, "x = 1\n")
    assert classroom_layout.unpack(tmp_path / "ann.zip", tmp_path / "ann") == ""
    stamp = dt.datetime.fromtimestamp((tmp_path / "ann" / EX1).stat().st_mtime)
    assert (stamp.year, stamp.month, stamp.day, stamp.hour) == (2026, 5, 3, 12)
    shutil.rmtree(tmp_path / "ann")


def test_a_dask_cluster_without_workers_ends_with_a_clear_error(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    from grader.classroom.cluster import on_cluster
    from grader.classroom.model import ClassError

    (tmp_path / "ann").mkdir()
    shutil.copyfile(ROOT / "grader" / "stubs" / EX1, tmp_path / "ann" / EX1)
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        stored: list[str] = []
        with pytest.raises(ClassError, match="no worker for 1 s"):
            on_cluster(
                cluster.scheduler_address,
                ["ann"],
                {"ann": tmp_path / "ann"},
                {"checks_root": None},
                lambda student, data: stored.append(student),
                wait=1.0,
            )
    assert stored == []


SLOW_IMPORT = "import time\ntime.sleep(6)\n"


def _session_processes(session: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == session:
                found.append(int(name))
    return found


@pytest.mark.slow
def test_ctrl_c_stops_every_job_writes_a_partial_gradebook_and_resumes(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    submissions = tmp_path / "class"
    reference = (ROOT / "solutions" / EX1).read_text()
    for name in ("a-fast", "b-slow", "c-slow", "d-slow"):
        (submissions / name).mkdir(parents=True)
        slow = SLOW_IMPORT if "slow" in name else ""
        (submissions / name / EX1).write_text(slow + reference)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "class", str(submissions), "--out", str(out)]
    command += ["--jobs", "2", "--device", "cpu", "--max-examples", "2", "--lang", "en"]
    grading = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=tmp_path
    )
    for line in grading.stderr:
        if line.startswith("graded a-fast"):
            break
    time.sleep(1.0)
    grading.send_signal(signal.SIGINT)  # to the main process only, not its group
    rest = grading.stderr.read()
    assert grading.wait(timeout=60) == 130, rest
    assert "Run the same command again" in rest
    # No job, worker or fork server left (a killed process stays in /proc until it is reaped).
    assert settled(lambda: _session_processes(grading.pid)) == []
    rows = (out / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert "a-fast,6,passed" in rows and "interrupted" in rows
    from grader.classroom.grading import read_state

    kept = set(read_state(out)["students"])
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    regraded = {
        line.split()[1].rstrip(":")
        for line in again.stderr.splitlines()
        if line.startswith("graded ")
    }
    assert regraded == {"a-fast", "b-slow", "c-slow", "d-slow"} - kept


def test_a_student_whose_submission_disappeared_is_listed_as_missing(tmp_path: Path) -> None:
    from grader.classroom.grading import grade_class

    submissions = tmp_path / "class"
    for name in ("ann", "ben"):
        (submissions / name).mkdir(parents=True)
        shutil.copyfile(ROOT / "grader" / "stubs" / EX1, submissions / name / EX1)
    fields = {"submissions": submissions, "out": tmp_path / "out", "exercises": EXERCISES[:1]}
    fields["server"] = zygote.get(catalog.preloads())  # the session's: no torch import per class
    grade_class(ClassOptions(**fields, device="cpu"))
    shutil.rmtree(submissions / "ben")
    again = grade_class(ClassOptions(**fields, device="cpu"))
    ben = next(s for s in again.students if s.id == "ben")
    assert ben.problem == "missing" and "no longer" in ben.error
    rows = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8-sig")
    assert "ben,,missing" in rows


@pytest.mark.slow
def test_killing_dask_workers_never_regrades_a_written_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    import signal

    # A worker killed mid-grading cannot remove its scratch folders (its copy of the student's
    # files, its sandbox's): the cluster's processes keep them in this test's folder, not /tmp.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))

    from grader.classroom.cluster import on_cluster
    from grader.classroom.workspace import grade_config
    from grader.sandbox.limits import Limits

    folders = {}
    for name in ("ann", "ben", "cat"):
        folders[name] = tmp_path / name
        folders[name].mkdir()
        # Files of their own: a worker grades each (an identical file would take it no time).
        text = (ROOT / "solutions" / EX1).read_text() + f"\n# handed in by {name}\n"
        (folders[name] / EX1).write_text(text)
    options = ClassOptions(
        submissions=tmp_path,
        out=tmp_path / "out",
        exercises=EXERCISES[:1],
        device="cpu",
        max_examples=3,
        limits=Limits(call_seconds=10.0, exercise_seconds=60.0),
    )
    stored: list[str] = []
    with (
        distributed.LocalCluster(
            n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):

        def finish(student: str, data: dict | None) -> None:
            stored.append(student)
            if len(stored) == 1:  # the worker that graded (and holds) it dies
                for pid in client.run(os.getpid).values():
                    os.kill(pid, signal.SIGKILL)

        graded = on_cluster(
            cluster.scheduler_address, list(folders), folders, grade_config(options), finish
        )
        computed: dict[str, int] = {}
        for entry in cluster.scheduler.transition_log:
            if entry[2] == "memory":  # a task's result arrived: it was computed (again)
                computed[str(entry[0])] = computed.get(str(entry[0]), 0) + 1
    assert sorted(stored) == sorted(folders)  # each student stored once
    assert len(computed) == 3 and set(computed.values()) == {1}, computed  # and graded once
    assert all("class_error" not in (graded[s] or {}) for s in folders), graded


def test_a_private_seed_is_kept_for_the_class_and_never_shown(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from grader.cli import cli

    submissions = tmp_path / "class"
    (submissions / "ann").mkdir(parents=True)
    shutil.copyfile(ROOT / "grader" / "stubs" / EX1, submissions / "ann" / EX1)
    out = tmp_path / "out"
    args = ["class", str(submissions), "--out", str(out), "--seed", "random", "--device", "cpu"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    seed = (out / ".private-seed").read_text().strip()
    assert oct((out / ".private-seed").stat().st_mode & 0o777) == "0o600"
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "1 unchanged" in again.output  # the same seed: resumed
    page = (out / "class.html").read_text(encoding="utf-8")
    assert "private" in page.split("<dt>Seed</dt>", 1)[1][:40] and seed not in page
    assert seed not in (out / "students" / "ann" / "results.json").read_text()
