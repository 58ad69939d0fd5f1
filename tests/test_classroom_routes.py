"""One class, three routes, one gradebook: `grade class` on local jobs, on a Dask cluster, and
each student through the Gradescope bundle's own `run_autograder` give the same verdicts.

The class is small (two exercises, eight students) but has every kind of submission the routes
must agree on: full marks, named mistakes, an empty folder, an empty file, a zip wrapping its
files in one folder, a zip that does not unpack (class and Dask only: Gradescope refuses such an
upload), files in `exercises/`, and a student's own helper module.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import catalog
from grader.classroom.grading import grade_class
from grader.classroom.model import ClassOptions
from grader.instructor import ci_kit
from grader.report.html import phrase
from grader.sandbox import zygote

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EX1, EX2 = "exercise01_squeeze.py", "exercise02_to_numpy.py"
SOLUTION1, SOLUTION2 = ROOT / "solutions" / EX1, ROOT / "solutions" / EX2
MISTAKE1 = ROOT / "tests" / "submissions" / "exercise1" / "mistake_squeeze_all.py"
MISTAKE2 = ROOT / "tests" / "submissions" / "exercise2" / "mistake_tolist.py"
SEED, EXAMPLES = 7, 2
IDS = ("exercise1", "exercise2")
STATUSES = ("passed", "failed", "error", "not_started", "skipped")
# Per student and exercise: (status, points), the status as the gradebook writes it.
EXPECTED = {
    "full": {"exercise1": ("passed", 6.0), "exercise2": ("passed", 13.0)},
    "helper": {"exercise1": ("passed", 6.0), "exercise2": ("not_started", 0.0)},
    "nested": {"exercise1": ("passed", 6.0), "exercise2": ("failed", None)},
    "zipped": {"exercise1": ("failed", None), "exercise2": ("passed", 13.0)},
}
HELPED = "from helpers import add_batch_dim, remove_batch_dim  # the student's own module\n"


def build_class(root: Path) -> Path:
    """The submissions folder: one entry per kind of submission."""
    submissions = root / "submissions"
    for name in ("full", "mistake", "missing", "empty", "nested", "helper"):
        (submissions / name).mkdir(parents=True)
    shutil.copyfile(SOLUTION1, submissions / "full" / EX1)
    shutil.copyfile(SOLUTION2, submissions / "full" / EX2)
    shutil.copyfile(MISTAKE1, submissions / "mistake" / EX1)
    shutil.copyfile(MISTAKE2, submissions / "mistake" / EX2)
    (submissions / "empty" / EX1).write_bytes(b"")  # handed in, but nothing in it
    (submissions / "nested" / "exercises").mkdir()
    shutil.copyfile(SOLUTION1, submissions / "nested" / "exercises" / EX1)
    shutil.copyfile(MISTAKE2, submissions / "nested" / "exercises" / EX2)
    (submissions / "helper" / EX1).write_text(HELPED)
    shutil.copyfile(SOLUTION1, submissions / "helper" / "helpers.py")
    with zipfile.ZipFile(submissions / "zipped.zip", "w") as archive:  # an LMS download
        archive.write(MISTAKE1, f"zipped-main/{EX1}")
        archive.write(SOLUTION2, f"zipped-main/{EX2}")
        archive.writestr("__MACOSX/._zipped-main", b"")
    (submissions / "broken.zip").write_bytes(b"PK\x03\x04 cut short by the download")
    return submissions


def options(submissions: Path, out: Path, **changes: object) -> ClassOptions:
    fields = {
        "submissions": submissions,
        "out": out,
        "exercises": tuple(catalog.find(i) for i in IDS),
        "device": "cpu",
        "seed": SEED,
        "max_examples": EXAMPLES,
        "jobs": 2,
        "server": zygote.get(catalog.preloads()),  # the session's: no torch import per class
    } | changes
    return ClassOptions(**fields)


def from_gradebook(out: Path) -> dict[str, dict[str, tuple[str, float | None]]]:
    """Student -> exercise -> (status, points) as `grade class` wrote them in gradebook.csv."""
    text = (out / "gradebook.csv").read_text(encoding="utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["student"] != "Points Possible"]
    return {
        r["student"]: {i: (r[f"{i} status"], float(r[i]) if r[i] else None) for i in IDS}
        for r in rows
    }


def gradescope_status(line: str) -> str:
    """An exercise's status in the gradebook's words, from a line of the Gradescope summary.

    The line reads `exercise2: error (0/13): syntax: ...` (status, points, first reason line).
    """
    words = {phrase(f"status_{s}", "en"): s for s in STATUSES}
    head, _, reason = line.partition(")")
    status = words[head.split(":", 1)[1].rsplit("(", 1)[0].strip()]
    kind = reason.lstrip(":").strip().split(":", 1)[0].strip()
    return f"error: {kind}" if status == "error" and kind else status


def from_gradescope(data: dict) -> dict[str, tuple[str, float | None]]:
    """Exercise -> (status, points) from a student's Gradescope results.json."""
    found = {}
    lines = data["output"].splitlines()
    for exercise_id in IDS:
        (line,) = [x for x in lines if x.startswith(f"{exercise_id}: ")]
        tests = [t for t in data["tests"] if t["name"].startswith(f"{exercise_id}: ")]
        found[exercise_id] = (gradescope_status(line), float(sum(t["score"] for t in tests)))
    return found


def through_gradescope(submissions: Path, work: Path) -> dict[str, dict]:
    """Each student's results.json from the bundle's run_autograder, as Gradescope runs it."""
    source = work / "source"
    with zipfile.ZipFile(io.BytesIO(ci_kit.gradescope_zip())) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            os.chmod(source / info.filename, (info.external_attr >> 16) & 0o777)
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_CHECKS", "GRADE_CATALOG")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GRADE_CHECK_OPTIONS"] = f"--device cpu --max-examples {EXAMPLES} --seed {SEED}"

    def grade_one(entry: Path) -> tuple[str, dict]:
        student = entry.name.removesuffix(".zip")
        root = work / "students" / student
        (root / "results").mkdir(parents=True)
        (root / "source").symlink_to(source)
        if entry.is_dir():
            shutil.copytree(entry, root / "submission")
        else:  # Gradescope unpacks an uploaded zip into the submission folder
            with zipfile.ZipFile(entry) as archive:
                archive.extractall(root / "submission")
        done = subprocess.run(
            [str(source / "run_autograder")],
            env=env | {"AUTOGRADER_ROOT": str(root)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return student, json.loads((root / "results" / "results.json").read_text())

    # A zip that does not unpack never reaches run_autograder: Gradescope rejects the upload.
    entries = [e for e in sorted(submissions.iterdir()) if e.name != "broken.zip"]
    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(grade_one, entries))


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The class graded through each route: gradebooks and Gradescope results."""
    distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed")
    root = tmp_path_factory.mktemp("routes")
    submissions = build_class(root)
    local = grade_class(options(submissions, root / "local"))
    with distributed.LocalCluster(
        n_workers=1, processes=False, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        on_dask = grade_class(options(submissions, root / "dask", dask=cluster.scheduler_address))
    assert local.complete and on_dask.complete
    return {
        "local": from_gradebook(root / "local"),
        "dask": from_gradebook(root / "dask"),
        "gradescope": through_gradescope(submissions, root / "gradescope"),
    }


def test_the_class_grades_to_the_expected_verdicts(routes: dict) -> None:
    local = routes["local"]
    assert sorted(local) == [
        "broken",
        "empty",
        "full",
        "helper",
        "missing",
        "mistake",
        "nested",
        "zipped",
    ]
    for student, expected in EXPECTED.items():
        for exercise_id, (status, points) in expected.items():
            got = local[student][exercise_id]
            assert got[0] == status, (student, exercise_id, got)
            assert points is None or got[1] == points, (student, exercise_id, got)
            assert points is not None or 0 <= (got[1] or 0) < catalog.find(exercise_id).max_score
    assert local["missing"] == {i: ("missing", None) for i in IDS}  # listed, never a silent 0
    assert local["broken"] == {i: ("unreadable", None) for i in IDS}
    assert all(
        s in ("failed", "error") or s.startswith("error:") for s, _ in local["mistake"].values()
    )
    assert local["empty"]["exercise1"][0] != "passed" and local["empty"]["exercise1"][1] == 0


def test_local_and_dask_routes_write_the_same_gradebook(routes: dict) -> None:
    assert routes["dask"] == routes["local"]


def test_the_gradescope_bundle_grades_every_student_as_the_class_does(routes: dict) -> None:
    gradescope, local = routes["gradescope"], routes["local"]
    assert sorted(gradescope) == sorted(set(local) - {"broken"})
    for student, verdicts in local.items():
        if student == "broken":
            continue
        data = gradescope[student]
        if student == "missing":  # Gradescope sees one student: nothing handed in, not started
            assert from_gradescope(data) == {i: ("not_started", 0.0) for i in IDS}
            assert EX1 in data["output"] and EX2 in data["output"]  # named as not found
            continue
        assert from_gradescope(data) == {i: (s, p or 0.0) for i, (s, p) in verdicts.items()}, (
            student
        )
        assert data["score"] == pytest.approx(sum(p or 0.0 for _, p in verdicts.values()))
