"""`grade watch`: re-grade the exercise being edited on every save, from an already warm process.

The process keeps torch, pytest and the fork server loaded, so a re-grade costs a fresh worker
fork and the checks themselves, never another torch import. File events come from `watchfiles`
(inotify on Linux, FSEvents on macOS, ReadDirectoryChangesW on Windows); where it is missing or
events do not arrive (network drives), modification times are polled, and they are compared
after every wait anyway, to catch what events miss (editors that swap files).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class Changes:
    """Yields each time a file in a folder may have changed (watchfiles, else polling)."""

    def __init__(self, folder: Path, poll: bool = False, interval: float = 0.25) -> None:
        self.folder = Path(folder)
        self.interval = interval
        self._stop = threading.Event()
        self._events: Iterator[Any] | None = None if poll else self._watcher()
        self._stamps = self._snapshot()

    @property
    def polling(self) -> bool:
        """Whether changes are found by polling modification times only."""
        return self._events is None

    def _watcher(self) -> Iterator[Any] | None:
        try:
            import watchfiles
        except ImportError:  # an install without it still works, by polling
            return None
        events = watchfiles.watch(
            self.folder,
            watch_filter=lambda change, path: path.endswith((".py", ".ipynb")),
            debounce=50,
            step=20,
            rust_timeout=max(1, int(self.interval * 1000)),
            yield_on_timeout=True,
            stop_event=self._stop,
            raise_interrupt=False,
            recursive=False,
        )
        try:
            next(events)  # start watching now: a save before the first wait is not lost
        except (OSError, RuntimeError):
            return None
        return events

    def _snapshot(self) -> dict[str, float]:
        stamps: dict[str, float] = {}
        for pattern in ("*.py", "*.ipynb"):
            for path in self.folder.glob(pattern):
                try:
                    stamps[path.name] = path.stat().st_mtime_ns
                except OSError:
                    continue
        return stamps

    def wait(self, timeout: float) -> set[str]:
        """Names of files that changed within `timeout` seconds (empty set if none)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            names: set[str] = set()
            if self._events is not None:
                try:
                    names = {Path(path).name for _, path in next(self._events)}
                except (StopIteration, OSError, RuntimeError):
                    self._events = None  # events stopped arriving: poll from now on
            else:
                time.sleep(max(0.0, min(remaining, self.interval)))
            stamps = self._snapshot()
            names |= {n for n, t in stamps.items() if self._stamps.get(n) != t}
            self._stamps = stamps
            if names or remaining <= 0:
                return names

    def close(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._events is not None:
            close = getattr(self._events, "close", None)
            if close is not None:
                close()
            self._events = None


def watch(
    order: list[str],
    start: str,
    file_of: Callable[[str], str],
    grade_one: Callable[[str], bool],
    changes: Changes,
    announce: Callable[[str], None],
    rounds: int | None = None,
    regrading: Callable[[str, str], None] = lambda exercise_id, file: None,
) -> Iterator[str]:
    """Grade `start`, then whichever exercise of `order` has its file saved, on every save.

    `grade_one(id)` grades and shows one exercise and says whether it passed; on a pass the
    exercise after it in `order` is graded next. `announce(file)` is told each time the watcher
    starts waiting, with the file graded last; `regrading(id, file)` each time a save of `file`
    makes it grade `id` (the learner may be editing any exercise, not the one shown last).
    Yields the id of each exercise graded (for tests); `rounds` bounds how many waits happen
    (None: until interrupted).
    """
    by_file = {file_of(exercise_id): exercise_id for exercise_id in order}
    current = start
    while True:
        passed = grade_one(current)
        yield current
        if passed and order.index(current) + 1 < len(order):
            current = order[order.index(current) + 1]
            continue
        if passed:
            return
        announce(file_of(current))
        while True:
            if rounds is not None:
                if rounds <= 0:
                    return
                rounds -= 1
            saved = changes.wait(3600 if rounds is None else 1.0)
            if file_of(current) in saved:
                break
            others = [by_file[name] for name in sorted(saved) if name in by_file]
            if others:
                current = others[-1]
                break
        regrading(current, file_of(current))
