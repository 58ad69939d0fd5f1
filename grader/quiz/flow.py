"""The quiz flow: asking in the terminal, grading an answers file, and the results both leave.

Quiz results are items of the same results model as exercises: one `ExerciseResult` per topic,
id `quiz:<topic>`, one check per question, so every report writer handles them unchanged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import click

from grader import __version__, progress, results
from grader.quiz import keys
from grader.quiz.model import RESERVED_KEYS, Bank, Question, pick
from grader.results import CheckResult, ExerciseResult, RunResult
from grader.sandbox.limits import Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

QUIZ_FILE = "quiz.json"
# A question left blank: a check that was not run (its results status), never a wrong answer.
UNANSWERED = "skipped"
ID_PREFIX = "quiz:"


class AnswersError(Exception):
    """The answers file cannot be used: missing, not TOML, or with unknown ids or bad answers.

    Cause: the message names the file and each bad entry. Remedy: the message says what to write.
    """


@dataclass
class Item:
    """One question as asked: this learner's variant, its key, the answer and the verdict."""

    variant: keys.Variant
    key: Any
    given: str = ""
    status: str = "failed"

    @property
    def question(self) -> Question:
        """The bank's question."""
        return self.variant.question


@dataclass
class AnswersFile:
    """A filled-in answers file: its settings and its answers by question id."""

    path: Path
    seed: int | None
    student: str | None
    topics: list[str] | None
    answers: dict[str, Any]


def prepare(questions: list[Question], seed: int, limits: Limits | None = None) -> list[Item]:
    """The variants of `questions` for `seed`, with their keys (one sandboxed worker for all)."""
    variants = [keys.variant(q, seed) for q in questions]
    return [Item(v, k) for v, k in zip(variants, keys.compute_keys(variants, limits), strict=True)]


def read(question: Question, answer: Any) -> Any:
    """The normal form of an answer (None when blank); keys.Malformed when it is unreadable."""
    text = keys.as_text(answer).strip()
    if not text:
        return None
    return keys.parse(question.answer_format, text, question.labels)


def judge(item: Item, answer: Any) -> Item:
    """Grade one answer (text or TOML value) into `item`; keys.Malformed if it is unreadable."""
    given = read(item.question, answer)
    item.given = keys.as_text(answer).strip()
    if isinstance(item.key, keys.KeyFailure):
        item.status = "error"
    elif given is None:
        item.status = "unanswered"
    else:
        item.status = "passed" if keys.same(item.question, item.key, given) else "failed"
    return item


def how(bank: Bank, question: Question, lang: str) -> str:
    """How to write an answer to `question`, in `lang`."""
    return bank.phrase(f"how_{question.answer_format}", lang, labels=", ".join(question.labels))


def malformed_message(bank: Bank, question: Question, error: keys.Malformed, lang: str) -> str:
    """What was wrong with an unreadable answer, and how to write it."""
    return bank.phrase("malformed", lang, answer=error.text, how=how(bank, question, lang))


def shown_key(item: Item, lang: str) -> str:
    """The right answer as the learner would type it (with the text of a chosen choice)."""
    question = item.question
    text = keys.show(question.answer_format, item.key)
    if question.kind == "single":
        text += ") " + pick(question.choices[question.labels.index(item.key)], lang)
    return text


def question_lines(bank: Bank, item: Item, number: int, count: int, lang: str) -> list[str]:
    """The question as shown: heading, prompt, snippet, choices."""
    v, question = item.variant, item.question
    topic = pick(bank.topic(question.topic).title, lang)
    heading = bank.phrase("question", lang, number=number, count=count, topic=topic)
    lines = [click.style(heading, bold=True), v.prompt(lang)]
    if v.code.strip():
        lines += ["    " + line for line in v.code.strip("\n").splitlines()]
    lines += [
        f"  {label}) {pick(c, lang)}"
        for label, c in zip(question.labels, question.choices, strict=True)
    ]
    return lines


def ask(
    bank: Bank,
    items: list[Item],
    lang: str,
    echo: Callable[[str], Any] = click.echo,
    prompt: Callable[..., Any] = click.prompt,
) -> list[Item]:
    """Ask every question in the terminal; say right or wrong, with the explanation, at once."""
    for number, item in enumerate(items, 1):
        echo("")
        echo("\n".join(question_lines(bank, item, number, len(items), lang)))
        if isinstance(item.key, keys.KeyFailure):
            judge(item, "")
            echo(click.style(bank.phrase("cannot_grade", lang, reason=item.key.message), fg="red"))
            continue

        def readable(text: str, item: Item = item) -> str:
            """Let click ask again, saying how to write it, when an answer is unreadable."""
            try:
                read(item.question, text)
            except keys.Malformed as exc:
                raise click.UsageError(malformed_message(bank, item.question, exc, lang)) from None
            return text

        label = bank.phrase("your_answer", lang, how=how(bank, item.question, lang))
        judge(item, prompt(label, value_proc=readable))
        if item.status == "passed":
            echo(click.style("✓ " + bank.phrase("right", lang), fg="green"))
        else:
            answer = shown_key(item, lang)
            echo(click.style("✗ " + bank.phrase("wrong", lang, answer=answer), fg="red"))
        echo(f"  {bank.phrase('why', lang)}: {item.variant.explain(lang)}")
    return items


def read_answers(path: Path) -> AnswersFile:
    """A filled-in answers file; AnswersError (saying what to do) when it cannot be used."""
    path = Path(path)
    fresh = "write a fresh one with 'grade quiz --template NEW.toml'"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersError(
            f"There is no answers file at {path}. Write one with 'grade quiz --template {path}', "
            "fill it in, then run this again."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersError(f"Cannot read the answers file {path}: {exc}. Check the path.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AnswersError(
            f"{path} is not valid TOML: {exc}. Fix that line (text answers need quotes: "
            f'an-id = "your answer"), or {fresh}.'
        ) from None
    seed, student, topics = data.get("seed"), data.get("student"), data.get("topics")
    if seed is not None and (type(seed) is not int or seed < 0):
        raise AnswersError(f"seed in {path} should be a whole number >= 0, not {seed!r}: {fresh}.")
    if student is not None and not isinstance(student, str):
        raise AnswersError(f"student in {path} should be text in quotes, not {student!r}.")
    if topics is not None and not (
        isinstance(topics, list) and all(isinstance(t, str) for t in topics)
    ):
        raise AnswersError(f'topics in {path} should be a list of topic ids such as ["autograd"].')
    answers = {k: v for k, v in data.items() if k not in RESERVED_KEYS}
    return AnswersFile(path, seed, student, topics, answers)


def check_answers(bank: Bank, answers: AnswersFile, questions: list[Question]) -> list[str]:
    """Every problem of the file's answers: unknown question ids and unreadable answers."""
    problems = []
    asked = {q.id for q in questions}
    for question_id, value in answers.answers.items():
        try:
            question = bank.find(question_id)
        except LookupError as exc:
            problems.append(f"{exc} Use the ids that 'grade quiz --template' writes.")
            continue
        if question.id not in asked:
            continue
        try:
            read(question, value)
        except keys.Malformed:
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            problems.append(
                f"the answer to {question_id!r} is {shown!r}: write {how(bank, question, 'en')} "
                "instead (in quotes, unless it is true or false)."
            )
    return [f"{answers.path}: {p}" for p in problems]


def grade_answers(items: list[Item], answers: AnswersFile) -> list[Item]:
    """Grade each item from the file (a missing or blank answer is unanswered, not wrong)."""
    for item in items:
        judge(item, answers.answers.get(item.question.id, ""))
    return items


def report_lines(bank: Bank, items: list[Item], lang: str) -> list[str]:
    """The verdict on an answers file: per topic, each wrong answer with its explanation."""
    lines = []
    for result in quiz_results(bank, items, lang):
        score, total = f"{result.score:g}", f"{result.max_score:g}"
        lines.append(bank.phrase("topic_score", lang, title=result.title, score=score, total=total))
        for check in result.checks:
            if check.status == UNANSWERED:
                lines.append(click.style(f"  · {check.name}: {check.message}", fg="yellow"))
            elif check.status != "passed":
                lines.append(click.style(f"  ✗ {check.name}: {check.example}", fg="red"))
                lines.append(f"    {bank.phrase('why', lang)}: {check.message}")
    return lines


def score_lines(bank: Bank, items: list[Item], lang: str) -> list[str]:
    """The final score, and a word of praise when every answer is right."""
    right = sum(item.status == "passed" for item in items)
    lines = [click.style(bank.phrase("score", lang, score=right, total=len(items)), bold=True)]
    if items and right == len(items):
        lines.append(bank.phrase("all_right", lang))
    return lines


def template_text(bank: Bank, items: list[Item], seed: int, lang: str, **settings: Any) -> str:
    """An answers file to fill in: each question as a comment, the seed recorded."""
    path = settings.pop("path", "answers.toml")
    lines = [f"# {bank.phrase('template_head', lang)}", f"#   grade quiz --answers {path}"]
    lines += [f"# {bank.phrase('template_seed', lang)}", f"seed = {seed}"]
    if settings.get("student"):
        lines.append(f"student = {json.dumps(settings['student'], ensure_ascii=False)}")
    if settings.get("topics"):
        lines.append(f"topics = {json.dumps(settings['topics'], ensure_ascii=False)}")
    topic = None
    for number, item in enumerate(items, 1):
        if item.question.topic != topic:
            topic = item.question.topic
            lines += ["", f"# == {pick(bank.topic(topic).title, lang)} =="]
        shown = question_lines(bank, item, number, len(items), lang)
        shown[0] = f"[{item.question.id}]"
        lines += [""] + [f"# {click.unstyle(line)}".rstrip() for line in shown]
        lines.append(f"# {bank.phrase('answer_as', lang, how=how(bank, item.question, lang))}")
        lines.append(f'{item.question.id} = ""')
    return "\n".join(lines) + "\n"


def quiz_results(bank: Bank, items: list[Item], lang: str = "en") -> list[ExerciseResult]:
    """One ExerciseResult per topic asked (id `quiz:<topic>`), one check per question."""
    found = []
    for topic in bank.topics:
        mine = [item for item in items if item.question.topic == topic.id]
        if not mine:
            continue
        checks = [_check(bank, item, lang) for item in mine]
        found.append(topic_result(ID_PREFIX + topic.id, pick(topic.title, lang), checks))
    return found


def topic_result(topic_id: str, title: str, checks: list[CheckResult]) -> ExerciseResult:
    """A topic's verdict from its questions' checks.

    Unanswered questions earn nothing but are not wrong: a topic with no answer is not
    started, one whose answers are all right but incomplete is not finished (not_started, never
    failed); only a wrong answer fails it.
    """
    answered = [c for c in checks if c.status != UNANSWERED]
    if not answered:
        status, reason = "not_started", ""
    else:
        status, reason = results.exercise_status(answered)
        if status == "passed" and len(answered) < len(checks):
            status = "not_started"
    return ExerciseResult(
        id=topic_id,
        title=title,
        status=status,
        reason=reason,
        score=sum(c.points for c in checks),
        max_score=float(len(checks)),
        checks=checks,
    )


def _check(bank: Bank, item: Item, lang: str) -> CheckResult:
    """One question's verdict as a check: the explanation is the message of a wrong answer."""
    passed = item.status == "passed"
    if item.status == "unanswered":
        return CheckResult(
            name=item.question.id,
            device="any",
            status=UNANSWERED,
            max_points=1.0,
            title=_title(item, lang),
            message=bank.phrase("not_answered", lang),
        )
    if item.status == "error":
        message = bank.phrase("cannot_grade", lang, reason=item.key.message)
    else:
        message = "" if passed else item.variant.explain(lang)
    given = item.given or bank.phrase("not_answered", lang)
    return CheckResult(
        name=item.question.id,
        device="any",
        status=item.status,
        points=1.0 if passed else 0.0,
        max_points=1.0,
        title=_title(item, lang),
        message=message,
        example="" if passed else f"{bank.phrase('your_given', lang)}: {given}",
    )


def _title(item: Item, lang: str) -> str:
    title = " ".join(item.variant.prompt(lang).split())
    return title if len(title) <= 120 else title[:119] + "…"


def quiz_run(bank: Bank, items: list[Item], seed: int, lang: str = "en") -> RunResult:
    """The quiz results as a run, for the JSON/HTML/JUnit/Gradescope writers."""
    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = ""
    return RunResult(
        exercises=quiz_results(bank, items, lang),
        seed=seed,
        devices=["any"],
        torch_version=torch_version,
        grader_version=__version__,
    )


def quiz_path(workspace: Path) -> Path:
    """Where the workspace keeps its latest quiz results."""
    return progress.state_dir(workspace) / QUIZ_FILE


def quiz_progress(workspace: Path) -> list[ExerciseResult]:
    """The latest result of each quiz topic answered in this workspace (for `grade list`)."""
    try:
        data = json.loads(quiz_path(workspace).read_text(encoding="utf-8"))
        return [e for e in results.from_dict(data).exercises if e.id.startswith(ID_PREFIX)]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []


def remember_quiz(workspace: Path, run: RunResult) -> Path:
    """Merge this run's topics into the workspace's quiz results, written atomically.

    An unanswered question keeps the answered result it had before: leaving a blank in an
    answers file never erases what was answered earlier.
    """
    merged = {e.id: e for e in quiz_progress(workspace)}
    for topic in run.exercises:
        earlier = {c.name: c for c in merged[topic.id].checks} if topic.id in merged else {}
        checks = [
            earlier[c.name]
            if c.status == UNANSWERED and earlier.get(c.name, c).status != UNANSWERED
            else c
            for c in topic.checks
        ]
        merged[topic.id] = topic_result(topic.id, topic.title, checks)
    stored = RunResult(
        exercises=list(merged.values()),
        seed=run.seed,
        devices=run.devices,
        torch_version=run.torch_version,
        grader_version=run.grader_version,
    )
    path = quiz_path(workspace)
    results.write_atomic(path, results.to_json(stored))
    return path
