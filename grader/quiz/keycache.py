"""The cache of predict-the-output keys: each snippet runs once per torch, not once per learner.

A predict key is what the installed torch prints for a bank snippet; running it needs a sandboxed
worker and torch (over a second). The value a snippet produced is kept under the hash of
everything it depends on (the filled-in snippet, what is read from it, the torch and grader
versions, the probe that ran it), so an edited bank question or another torch is a new entry,
never a stale key. Scoring an answers file whose keys are all cached imports no torch.

The cache is a per-user folder (`$GRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/torch-grader`, else
`~/.cache/torch-grader`) created private (0700): learners' workers never run as its owner where
the sandbox isolates them. What is read back is checked like an answer: plain JSON values
turned into a key by `keys.from_value`, anything else ignored and computed again.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

CACHE_ENV = "GRADE_CACHE_DIR"
MAX_ENTRIES = 50_000  # a class's parametric variants; beyond it, keys are computed, not kept
MAX_BYTES = 16 << 20  # a larger file is not read (someone else's, or damaged)
_PLAIN = (str, int, float, bool, type(None))


def folder() -> Path:
    """Where this user's grader caches live."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "torch-grader"


@cache
def environment() -> str:
    """The digest of what every key depends on besides its snippet: torch, grader, probe."""
    from grader import __version__
    from grader.engine.run import installed_torch_version

    probe = Path(__file__).resolve().parents[1] / "probes" / "quiz.py"
    try:
        probe_digest = hashlib.sha256(probe.read_bytes()).hexdigest()
    except OSError:
        probe_digest = ""
    text = json.dumps([installed_torch_version(), __version__, probe_digest])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def entry(code: str, fmt: str, result: str) -> str:
    """The hash of one snippet's inputs: the key of its entry."""
    return hashlib.sha256(json.dumps([code, fmt, result]).encode()).hexdigest()


def path() -> Path:
    """The cache file for this torch, grader and probe."""
    return folder() / f"quiz-keys-{environment()}.json"


def plain(value: Any, depth: int = 0) -> bool:
    """Whether `value` is plain JSON data a snippet could have produced (bounded depth)."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list) and depth < 8:
        return all(plain(v, depth + 1) for v in value)
    return False


def read() -> dict[str, Any]:
    """The cached snippet values by entry hash; empty when there is no usable cache."""
    try:
        file = path()
        if file.stat().st_size > MAX_BYTES:
            return {}
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and plain(v)}


def write(known: dict[str, Any], new: dict[str, Any]) -> None:
    """Add `new` entries to the cache `known` was read from; silently nothing if not writable."""
    from grader.results import write_atomic

    merged = dict(known)
    for key, value in new.items():
        if len(merged) >= MAX_ENTRIES:
            break
        merged[key] = value
    try:
        folder().mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomic(path(), json.dumps(merged, separators=(",", ":")))
    except OSError:
        pass  # a read-only home: keys are computed each time, as before
