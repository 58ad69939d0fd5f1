"""The class page as a browser lays it out: at 1280 px it fits, or its heatmap scrolls inside
its box with the totals in view; and it names the devices checks really ran on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import catalog
from grader.classroom.model import ClassOptions, ClassResult, Student
from grader.classroom.report import render_class
from grader.quiz import bank
from grader.results import CheckResult, ExerciseResult, RunResult

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1280
NAMES = [
    "José García-Fernández de la Vega y Montalbán",
    "学生 王芳",
    "a-student-with-a-very-long-login-id-from-the-lms-0123456789",
    "bob",
    "carol",
]
# Written into the page by a test-only copy (the page itself has no script): what was laid out.
MEASURE = """
<script>
const wrap = document.querySelector('#heatmap .table-wrap');
const table = wrap.querySelector('table');
const box = wrap.getBoundingClientRect();
const totals = [...table.querySelectorAll('tbody td.total')].map(cell => {
  const r = cell.getBoundingClientRect();
  return {left: r.left, right: r.right};
});
const out = document.createElement('pre');
out.id = 'measured';
out.textContent = JSON.stringify({
  viewport: window.innerWidth,
  page: document.documentElement.scrollWidth,
  wrap: {left: box.left, right: box.right, client: wrap.clientWidth, scroll: wrap.scrollWidth,
         overflow: getComputedStyle(wrap).overflowX},
  table: table.getBoundingClientRect().width,
  totals: totals,
});
document.body.appendChild(out);
</script>
"""


def check(name: str, device: str, status: str, points: float = 1.0) -> CheckResult:
    return CheckResult(name, device, status, points if status == "passed" else 0.0, points)


def exercise_run(exercise: catalog.Exercise, share: float, cuda: bool) -> ExerciseResult:
    """An exercise whose checks ran on the CPU; its CUDA check ran only when `cuda`."""
    checks = [
        check("a", "cpu", "passed", exercise.max_score * share),
        check("b", "cpu", "failed", exercise.max_score * (1 - share)),
        check("c", "cuda", "passed" if cuda else "skipped", 0.0),
    ]
    score = exercise.max_score * share
    status = "passed" if share == 1 else "failed"
    return ExerciseResult(exercise.id, "t", status, "", score, exercise.max_score, checks)


def wide_class(tmp_path: Path, cuda: bool = False) -> ClassResult:
    """Every exercise of the catalog, every quiz topic, long names: the widest heatmap."""
    exercises = catalog.exercises()
    topics = [f"quiz:{t.id}" for t in bank.load().topics]
    students = []
    for index, name in enumerate(NAMES):
        share = (index + 1) / len(NAMES)
        run = RunResult(
            [exercise_run(e, share, cuda and index == 0) for e in exercises], devices=["cpu"]
        )
        quiz = {t: (1.0, 2.0) for t in topics}
        students.append(Student(name, f"d{index}", run, quiz=quiz, folder=tmp_path))
    students.append(Student("empty", "", problem="missing", error="no exercise file"))
    options = ClassOptions(tmp_path, tmp_path / "out", exercises, device="all")
    return ClassResult(options, students)


def devices(page: str) -> str:
    return page.split("<dt>Devices</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_the_page_names_only_the_devices_checks_ran_on(tmp_path: Path) -> None:
    page = render_class(wide_class(tmp_path))  # asked for all devices; CUDA checks skipped
    assert devices(page) == "cpu"
    assert devices(render_class(wide_class(tmp_path, cuda=True))) == "cpu, cuda"
    nobody = wide_class(tmp_path)
    nobody.students = nobody.students[-1:]  # nothing ran at all
    assert devices(render_class(nobody)) == "none"
    assert "Extra credit" in page


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="no headless browser (scripts/install-browser installs chromium)"
)
def test_at_1280_px_the_page_fits_and_the_heatmap_scrolls_with_totals_in_view(
    tmp_path: Path,
) -> None:
    page = render_class(wide_class(tmp_path))
    assert "<script" not in page
    measured = tmp_path / "class.html"
    # The page forbids scripts (its CSP); the measuring copy drops that one line.
    allowed = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    assert allowed != page
    measured.write_text(allowed.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={WIDTH},900",
            "--virtual-time-budget=2000",
            "--dump-dom",
            measured.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = done.stdout.split('<pre id="measured">', 1)[1].split("</pre>", 1)[0]
    box = json.loads(found.replace("&quot;", '"').replace("&amp;", "&"))
    assert box["viewport"] == WIDTH, box
    assert box["page"] <= WIDTH, box  # nothing makes the whole page scroll sideways
    assert box["wrap"]["right"] <= WIDTH, box
    fits = box["table"] <= box["wrap"]["client"] + 1
    assert not fits, box  # this class is wider than 1280 px: the table must scroll
    assert (
        box["wrap"]["overflow"] in ("auto", "scroll")
        and box["wrap"]["scroll"] > box["wrap"]["client"]
    )
    assert len(box["totals"]) == len(NAMES) + 1
    for total in box["totals"]:  # every total is in view without scrolling
        assert (
            box["wrap"]["left"] <= total["left"] and total["right"] <= box["wrap"]["right"] + 1
        ), box
