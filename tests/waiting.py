"""Waiting in tests by polling with a deadline, never by a fixed sleep.

A fixed sleep is too long on an idle machine and too short on a loaded one; polling returns as
soon as the condition holds and gives a loaded machine up to `seconds` before the test fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sized
from typing import TypeVar

Found = TypeVar("Found", bound=Sized)


def settled(find: Callable[[], Found], seconds: float = 5.0, every: float = 0.02) -> Found:
    """What `find()` still finds once it finds nothing, or when `seconds` have passed.

    For leftovers that end asynchronously (a killed process stays in /proc until it is reaped):
    `assert settled(strays) == []`.
    """
    deadline = time.monotonic() + seconds
    found = find()
    while len(found) and time.monotonic() < deadline:
        time.sleep(every)
        found = find()
    return found
