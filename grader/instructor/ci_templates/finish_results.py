"""Last step of the Gradescope run_autograder: make sure a valid results.json is left behind.

Runs with the system python3 and the standard library only (it must work when the grader
does not). Usage: finish_results.py RESULTS GRADE_EXIT_STATUS LOG "MISSING FILES" [WORK].
Paths under WORK (the grading machine's temporary folder) are removed from every text.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

LOG_SHOWN = 3000
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")


def read_results(path: Path) -> dict | None:
    """The grader's results.json if it is a Gradescope results object, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        return None
    if not isinstance(data.get("score"), (int, float)):
        return None
    return data


def log_tail(path: Path) -> str:
    """The end of the grader's output, as plain text."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return _CONTROL.sub("", text[-LOG_SHOWN:]).strip() or "(no output)"


# Exit status 137 is SIGKILL: in a Gradescope container, the kernel ending the grader because the
# container's memory limit (768 MB unless the assignment raises it) was reached.
KILLED = (
    " The grader was killed (exit status 137): the autograder container most likely ran out of "
    "memory. Instructor: raise the assignment's memory limit (Gradescope: Configure Autograder, "
    "Container Specifications, Memory; 1.5 GB is enough for `check all --thorough`), or grade "
    "with fewer parallel jobs (GRADE_CHECK_OPTIONS with --jobs 1)."
)


def fallback(status: str, log: Path) -> dict:
    """Results that give 0 and say what went wrong, for when the grader left none."""
    return {
        "score": 0,
        "output": (
            f"The grader could not grade this submission (it stopped with exit status {status} "
            "and wrote no results). This is not a verdict on your code: please tell your "
            "instructor, who can see the full log."
            + (KILLED if status == "137" else "")
            + "\n\nThe end of the grader's output:\n"
            + log_tail(log)
        ),
        "output_format": "text",
        "tests": [],
    }


def without_paths(value: object, work: str) -> object:
    """`value` with the grading machine's folder `work` left out of every string."""
    if isinstance(value, str):
        return value.replace(work + "/exercises/", "").replace(work + "/", "").replace(work, "")
    if isinstance(value, list):
        return [without_paths(v, work) for v in value]
    if isinstance(value, dict):
        return {k: without_paths(v, work) for k, v in value.items()}
    return value


def write_atomic(path: Path, data: dict) -> None:
    """Write JSON through a temporary file and a rename: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    """Keep the grader's results (with a note on missing files) or write the fallback."""
    path, status, log = Path(argv[1]), argv[2], Path(argv[3])
    missing = argv[4].split() if len(argv) > 4 else []
    work = argv[5] if len(argv) > 5 else ""
    data = read_results(path) if status in ("0", "1") else None
    if data is None:
        data = fallback(status, log)
    if work:
        data = {key: without_paths(value, work) for key, value in data.items()}
    if missing:
        note = (
            "Not found in your submission (graded as not started): "
            + ", ".join(missing)
            + ". Upload the files themselves, or a zip of your exercises folder."
        )
        data["output"] = f"{note}\n\n{data.get('output', '')}".strip()
    write_atomic(path, data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
