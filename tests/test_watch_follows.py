"""`grade watch` follows the file that was saved, in any exercise, and says which it grades."""

from __future__ import annotations

from grader import catalog
from grader.watch import watch


class Saves:
    """Stands in for Changes: each wait returns the next scripted set of saved file names."""

    def __init__(self, *batches: set[str]) -> None:
        self.batches = list(batches)

    def wait(self, timeout: float) -> set[str]:
        return self.batches.pop(0) if self.batches else set()


ORDER = ["exercise1", "exercise2", "exercise3", "exercise4"]
FILES = {i: f"{i}.py" for i in ORDER}


def run(saves: Saves, passes: set[str], start: str = "exercise1", rounds: int = 6) -> tuple:
    told: list[tuple[str, str]] = []
    announced: list[str] = []
    graded = list(
        watch(
            ORDER,
            start,
            FILES.__getitem__,
            lambda i: i in passes,
            saves,
            announced.append,
            rounds=rounds,
            regrading=lambda i, f: told.append((i, f)),
        )
    )
    return graded, told, announced


def test_saving_another_exercise_grades_that_one() -> None:
    graded, told, _ = run(Saves(set(), {"exercise3.py"}, {"notes.txt"}), passes=set())
    assert graded == ["exercise1", "exercise3"]
    assert told == [("exercise3", "exercise3.py")]


def test_an_earlier_exercise_is_followed_too_and_a_pass_moves_on() -> None:
    graded, told, announced = run(
        Saves({"exercise1.py"}, {"exercise3.py"}), passes={"exercise1"}, start="exercise2"
    )
    assert graded == ["exercise2", "exercise1", "exercise2", "exercise3"]
    assert told == [("exercise1", "exercise1.py"), ("exercise3", "exercise3.py")]
    assert announced[:2] == ["exercise2.py", "exercise2.py"]


def test_saving_the_current_file_regrades_it() -> None:
    graded, told, _ = run(Saves({"exercise1.py"}), passes=set())
    assert graded == ["exercise1", "exercise1"] and told == [("exercise1", "exercise1.py")]


def test_the_watch_messages_say_what_is_graded_in_both_languages() -> None:
    for lang in catalog.LANGUAGES:
        text = catalog.message(
            "regrading", lang, file="exercise13_cross_entropy.py", id="exercise13"
        )
        assert "exercise13_cross_entropy.py" in text and "exercise13" in text
