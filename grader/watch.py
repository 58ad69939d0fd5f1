"""`grade watch`: re-grade the exercise being edited on every save, from an already warm process.

The process keeps torch, pytest and the fork server loaded, so a re-grade costs a fresh worker
fork and the checks themselves, never another torch import. File events come from inotify on
Linux; elsewhere, or where events do not arrive (network drives), modification times are polled.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

IN_CLOSE_WRITE, IN_MOVED_TO, IN_CREATE = 0x8, 0x80, 0x100
IN_NONBLOCK = 0o4000


class Changes:
    """Yields each time a file in a folder may have changed (inotify, else polling)."""

    def __init__(self, folder: Path, poll: bool = False, interval: float = 0.25) -> None:
        self.folder = Path(folder)
        self.interval = interval
        self._fd = -1 if poll else self._inotify()
        self._stamps = self._snapshot()

    @property
    def polling(self) -> bool:
        """Whether changes are found by polling modification times."""
        return self._fd < 0

    def _inotify(self) -> int:
        if not sys.platform.startswith("linux"):
            return -1
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fd = libc.inotify_init1(IN_NONBLOCK)
            if fd < 0:
                return -1
            mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE
            if libc.inotify_add_watch(fd, str(self.folder).encode(), mask) < 0:
                os.close(fd)
                return -1
            return fd
        except (OSError, AttributeError):
            return -1

    def _snapshot(self) -> dict[str, float]:
        stamps: dict[str, float] = {}
        for path in self.folder.glob("*.py"):
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
            if self._fd >= 0:
                ready, _, _ = select.select(
                    [self._fd], [], [], max(0.0, min(remaining, self.interval))
                )
                names = self._drain() if ready else set()
            else:
                time.sleep(max(0.0, min(remaining, self.interval)))
                names = set()
            stamps = self._snapshot()  # also catches what events miss (editors that swap files)
            names |= {n for n, t in stamps.items() if self._stamps.get(n) != t}
            self._stamps = stamps
            if names or remaining <= 0:
                return names

    def _drain(self) -> set[str]:
        names: set[str] = set()
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return names
        offset = 0
        while offset + 16 <= len(data):
            _, _, _, length = struct.unpack_from("iIII", data, offset)
            raw = data[offset + 16 : offset + 16 + length].split(b"\0", 1)[0]
            names.add(raw.decode(errors="replace"))
            offset += 16 + length
        return names

    def close(self) -> None:
        """Stop watching."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


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
