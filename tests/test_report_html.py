"""The HTML report and `grade report`: what a learner reads, safe against what their code prints."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from report_fixtures import ANSI, IMG, SCRIPT, SOURCES, assert_atomic, sample_run

from grader import results
from grader.cli.report import report
from grader.report import html
from grader.report.writing import write_reports
from grader.results import CheckResult, ExerciseResult, RunResult

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """Every element of a page (tag, attributes) and its text, as the browser's parser sees it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[int, str]] = []
        self.text: list[str] = []
        self._heading: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append((int(tag[1]), ""))
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag[0] == "h" and tag[1:].isdigit():
            level, _ = self.headings[-1]
            self.headings[-1] = (level, " ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._heading.append(data)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.elements if a.get("id")}

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]

    def all_text(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def page_text() -> str:
    return html.render(sample_run(), "en", SOURCES)


@pytest.fixture(scope="module")
def page(page_text: str) -> Page:
    return Page(page_text)


def test_page_has_every_section_and_exercise(page: Page) -> None:
    ids = page.ids()
    assert {"fix-next", "summary", "exercises", "run"} <= ids
    for exercise in sample_run().exercises:
        anchor = html._anchor(exercise.id)
        assert anchor in ids, exercise.id
    # One device matrix per exercise with checks, with the device columns it used.
    assert len(page.tags("table")) == sum(1 for e in sample_run().exercises if e.checks)
    text = page.all_text()
    for column in ("CPU", "CUDA", "emulated CUDA", "source code", "any device"):
        assert column in text
    assert "no CUDA device" in text
    assert "12 / 32" in text and "2/6 exercises passed" in text


def test_learner_markup_is_text_never_markup(page: Page, page_text: str) -> None:
    assert page.tags("script") == [] and page.tags("img") == []
    for _, attrs in page.elements:
        assert not any(name.startswith("on") for name in attrs), attrs
        for name in ("src", "href"):
            assert (attrs.get(name) or "#").startswith("#"), attrs  # nothing fetched
    text = page.all_text()
    assert SCRIPT in text and IMG in text  # shown to the reader, as text
    assert "<script" not in page_text.lower()
    assert "\x1b" not in page_text and "[31m" not in page_text and "[0m" not in page_text


def test_long_learner_text_is_cut(page: Page) -> None:
    text = page.all_text()
    assert "x" * 5000 not in text and "x" * 1900 in text
    assert "more characters" in text
    assert "y" * 3000 not in text and "earlier characters cut" in text
    assert "last line" in text  # the end of the output is what matters


def test_fix_next_comes_first_with_diagnosis_hint_and_line(page: Page) -> None:
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), page.headings
    titles = [title for _, title in page.headings]
    assert titles[1] == "What to fix next"
    assert titles.index("What to fix next") < titles.index("Summary")
    fix = titles[2]
    assert fix.startswith("add_batch_dim turns (C, H, W) into (1, C, H, W) [CPU]")
    text = page.all_text()
    first = text.index("What to fix next")
    summary = text.index("Summary", first)
    box = text[first:summary]
    assert "In exercise2" in box
    assert "The new dimension went to the end" in box
    assert "Smallest failing input" in box and "tensor([[[-6.0, -11.0]]])" in box
    assert "Your code, line 5" in box and "return image.unsqueeze(-1)" in box
    assert "A batch of one has a new dimension" in box


def test_status_is_written_not_only_coloured(page: Page) -> None:
    text = page.all_text()
    for word in ("passed", "failed", "error", "not started", "skipped"):
        assert word in text
    html_tag = page.tags("html")[0]
    assert html_tag["lang"] == "en"
    assert page.tags("meta") and any(m.get("name") == "viewport" for m in page.tags("meta"))
    meter = page.tags("meter")[0]  # the concept grid: a value in words beside each bar
    assert meter.get("aria-label") and "%" in meter["aria-label"]


def _contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_contrast_meets_wcag_aa_in_light_and_dark(page_text: str) -> None:
    schemes = re.findall(r":root \{(.*?)\}", page_text, re.S)
    assert len(schemes) == 2  # light, and dark under prefers-color-scheme
    for scheme in schemes:
        colours = dict(re.findall(r"--([\w-]+): (#[0-9a-f]{6})", scheme))
        pairs = [("fg", "bg"), ("muted", "bg"), ("muted", "panel"), ("accent", "panel")]
        pairs += [(f"{s}-fg", f"{s}-bg") for s in ("passed", "failed", "error", "skipped")]
        pairs += [("not_started-fg", "not_started-bg"), ("fg", "mark"), ("fg", "code")]
        for fg, bg in pairs:
            assert _contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg)


def test_concepts_chart_tolerates_ids_outside_the_catalog(page_text: str) -> None:
    assert "Progress by concept" in page_text
    assert ">shapes<" in page_text and ">autograd<" in page_text  # from exercise1, quiz:autograd
    assert html.concepts_of("quiz:autograd") == ("autograd",)
    assert html.concepts_of("nonsense") == ()


def test_other_language_and_edge_runs() -> None:
    zh = Page(html.render(sample_run(), "zh", SOURCES))
    assert zh.tags("html")[0]["lang"] == "zh"
    assert "下一步要修改的地方" in zh.all_text()
    empty = Page(html.render(RunResult(exercises=[]), "en"))
    assert "summary" in empty.ids()
    done = RunResult(
        exercises=[ExerciseResult(id="exercise1", title="t", status="passed", max_score=1)]
    )
    assert "Every exercise in this report passes" in Page(html.render(done)).all_text()
    odd = RunResult(
        exercises=[
            ExerciseResult(
                id="exercise9",
                title="t",
                status="failed",
                checks=[CheckResult(name="c", device="tpu", status="failed", line=99)],
            )
        ]
    )
    assert "tpu" in Page(html.render(odd, "en", {"exercise9": "one line\n"})).all_text()


def test_clean_strips_escapes_and_controls() -> None:
    assert html.clean(f"{ANSI}red\x1b[0m\x1b]0;title\x07ok\x00\x08\r\n") == "redok\n"
    assert html.clean("a\u202eb") == "a\\u202eb"
    assert html.clean("\ud800") == "\ufffd"
    assert html.clean("abc", limit=2).startswith("ab\n")


def test_interrupted_write_keeps_the_previous_report(tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("interrupted while rendering")

    assert_atomic(
        lambda path: html.write_html(sample_run(), path, "en", SOURCES),
        tmp_path / "report.html",
        monkeypatch,
        lambda m: m.setattr(html, "_problem", broken),
    )


def _cli() -> click.Group:
    @click.group()
    @click.option("--lang", default=None)
    @click.pass_context
    def grade(ctx: click.Context, lang: str | None) -> None:
        ctx.obj = {"lang": lang or "en"}

    grade.add_command(report)
    return grade


def test_report_command_needs_a_last_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["report", "--workspace", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "No grading run to report" in result.output and "Try 'grade check" in result.output
    missing = CliRunner().invoke(_cli(), ["report", "--workspace", str(tmp_path / "nope")])
    assert missing.exit_code == 2, missing.output


def test_report_command_rerenders_the_last_run(tmp_path: Path) -> None:
    run = RunResult(
        exercises=[
            ExerciseResult(
                id="exercise1",
                title="Shapes",
                status="failed",
                max_score=6,
                checks=[
                    CheckResult(
                        name="add_batch_dim_shape",
                        device="cpu",
                        status="failed",
                        max_points=2,
                        message="wrong shape",
                        line=2,
                    )
                ],
            )
        ]
    )
    (tmp_path / "exercise01_squeeze.py").write_text(
        "def add_batch_dim(image):\n    return <oops>\n"
    )
    results.write_atomic(tmp_path / ".grade" / "last-run.json", results.to_json(run))
    runner = CliRunner()
    result = runner.invoke(_cli(), ["report", "--workspace", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = Page((tmp_path / ".grade" / "report.html").read_text(encoding="utf-8"))
    assert "Your code, line 2" in page.all_text() and "return <oops>" in page.all_text()
    out = tmp_path / "out"
    result = runner.invoke(
        _cli(),
        [
            "--lang",
            "zh",
            "report",
            "--workspace",
            str(tmp_path),
            "--html",
            str(out / "r.html"),
            "--junit",
            str(out / "junit.xml"),
            "--gradescope",
            str(out / "results.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "r.html", "results.json"]
    assert Page((out / "r.html").read_text(encoding="utf-8")).tags("html")[0]["lang"] == "zh"
    result = runner.invoke(
        _cli(), ["report", "--workspace", str(tmp_path), "--lang", "en", "--junit", str(out / "j")]
    )
    assert result.exit_code == 0, result.output
    assert (out / "j").read_text(encoding="utf-8").startswith("<?xml")


def test_write_reports_writes_only_what_is_named(tmp_path: Path) -> None:
    written = write_reports(sample_run(), gradescope=tmp_path / "g.json", sources=SOURCES)
    assert written == [tmp_path / "g.json"] and [p.name for p in tmp_path.iterdir()] == ["g.json"]


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_report_in_a_real_browser(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    html.write_html(sample_run(), page, "en", SOURCES)
    artifacts = Path(os.environ.get("GRADE_ARTIFACTS") or ROOT / "artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    for name, size in (("report-screenshot.png", "1280,2400"), ("report-phone.png", "390,2400")):
        shot = artifacts / name
        shot.unlink(missing_ok=True)
        done = _chromium(
            tmp_path / f"profile-{name}",
            f"--screenshot={shot}",
            f"--window-size={size}",
            page.as_uri(),
        )
        assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    done = _chromium(
        tmp_path / "profile-dom", "--virtual-time-budget=2000", "--dump-dom", page.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Page(done.stdout)
    titles = [t for t, _ in dom.elements if t == "title"]
    assert titles, done.stdout[:500]
    assert "<title>Grading report: 12/32</title>" in done.stdout  # no script changed it
    assert "PWNED</title>" not in done.stdout and dom.tags("script") == []
    assert SCRIPT in dom.all_text()


@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_templates_are_all_the_page_needs(
    prepared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`grade check` compiles the templates while the checks run: rendering compiles none."""
    html.environment.cache_clear()
    try:
        if prepared:
            html.prepare()
        env = html.environment()
        compiled: list[str] = []
        real = env.compile

        def spy(source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            compiled.append(str(name))
            return real(source, name, *args, **kwargs)

        monkeypatch.setattr(env, "compile", spy)
        assert "<html" in html.render(sample_run())
        if prepared:
            assert compiled == [], f"compiled at render time: {compiled}"
        else:  # the spy sees compilation: the assertion above can fail
            assert "report.html.j2" in compiled
    finally:
        html.environment.cache_clear()
