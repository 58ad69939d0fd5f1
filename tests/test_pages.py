"""The fork server gives back the clean file pages its imports read once, and only those.

Each case runs in a fresh interpreter: `release()` scans every mapping of the process that
calls it, and the test process's own (pytest's, torch's) are none of these tests' business.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc/self/pagemap is Linux only"
)

# A private, read-only mapping of a file, as the dynamic linker leaves a library's code: every
# page read once, then `release()`. Reports the mapping's resident pages before and after, and
# whether every byte still reads as the file's.
DROPS = r"""
import json, mmap, sys
from grader.sandbox import pages
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as handle:
    view = mmap.mmap(handle.fileno(), size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
start = int([l for l in open("/proc/self/maps") if l.rstrip().endswith(path)][0].split("-")[0], 16)
def resident():
    with open("/proc/self/pagemap", "rb", buffering=0) as pm:
        pm.seek(start // mmap.PAGESIZE * 8)
        data = pm.read(size // mmap.PAGESIZE * 8)
    return sum(1 for flags in data[7::8] if flags & 0x80)
checksum = sum(view[i] for i in range(0, size, mmap.PAGESIZE))  # every page read once
before = resident()
dropped = pages.release()
after = resident()
same = view[:] == open(path, "rb").read()
print(json.dumps({"before": before, "after": after, "dropped": dropped, "same": same}))
"""

# The same mapping written page by page while writable, then made read-only (what relocations
# and RELRO do to a library's data): those pages are the process's own and must survive.
KEEPS = r"""
import ctypes, json, mmap, sys
from grader.sandbox import pages
from grader.sandbox.libc import LIBC
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as handle:
    view = mmap.mmap(handle.fileno(), size, flags=mmap.MAP_PRIVATE,
                     prot=mmap.PROT_READ | mmap.PROT_WRITE)
for offset in range(0, size, 2 * mmap.PAGESIZE):  # every other page written here
    view[offset:offset + 4] = b"OURS"
start = int([l for l in open("/proc/self/maps") if l.rstrip().endswith(path)][0].split("-")[0], 16)
LIBC.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
assert LIBC.mprotect(start, size, mmap.PROT_READ) == 0
pages.release()
kept = all(view[o:o + 4] == b"OURS" for o in range(0, size, 2 * mmap.PAGESIZE))
untouched = all(view[o:o + 4] == b"file" for o in range(mmap.PAGESIZE, size, 2 * mmap.PAGESIZE))
print(json.dumps({"kept": kept, "untouched": untouched}))
"""

PAGES = 64


def _file(folder: Path) -> tuple[Path, int]:
    import mmap

    path = folder / "library.bin"
    path.write_bytes(b"file" * (PAGES * mmap.PAGESIZE // 4))
    return path, PAGES * mmap.PAGESIZE


def _run(code: str, path: Path, size: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(size)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_release_gives_back_clean_pages_of_read_only_file_mappings(tmp_path: Path) -> None:
    """Read once, a read-only private mapping's pages leave the process; the bytes stay the file's
    (they map back from the page cache when read again)."""
    report = _run(DROPS, *_file(tmp_path))
    assert report["before"] == PAGES, report
    assert report["after"] == 0, report
    assert report["dropped"] >= PAGES * 4096, report
    assert report["same"] is True, report


def test_release_keeps_pages_the_process_wrote_before_making_them_read_only(
    tmp_path: Path,
) -> None:
    """A private mapping's written pages are the process's own copies (relocated data, made
    read-only afterwards): dropping one would put the file's bytes back in its place."""
    assert _run(KEEPS, *_file(tmp_path)) == {"kept": True, "untouched": True}


def test_release_gives_nothing_back_while_another_thread_runs(tmp_path: Path) -> None:
    """Another thread could unmap a range and map fresh memory there between the scan and the
    madvise: with a second thread alive, nothing is dropped."""
    threaded = DROPS.replace(
        "before = resident()",
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(5,), daemon=True).start()\n"
        "before = resident()",
    )
    report = _run(threaded, *_file(tmp_path))
    assert report["before"] == PAGES and report["after"] == PAGES, report
    assert report["dropped"] == 0, report


# A process that gave its pages back, and a process forked from it afterwards.
ONCE = r"""
import json, mmap, os, sys
from grader.sandbox import pages
path, size = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as handle:
    view = mmap.mmap(handle.fileno(), size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
def touch():
    return sum(view[i] for i in range(0, size, mmap.PAGESIZE))
touch()
first = pages.release_once()
touch()
again = pages.release_once()
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    touch()
    os.write(write, str(pages.release_once()).encode())
    os._exit(0)
os.waitpid(pid, 0)
child = int(os.read(read, 100))
print(json.dumps({"first": first, "again": again, "child": child}))
"""


def test_release_once_gives_back_in_the_process_that_imported_and_not_in_its_forks(
    tmp_path: Path,
) -> None:
    """A grader that imported torch itself (a class) gives its pages back once; the jobs it forks
    afterwards, like the checking processes forked from the fork server, do not scan again."""
    report = _run(ONCE, *_file(tmp_path))
    assert report["first"] >= PAGES * 4096, report
    assert report["again"] == 0 and report["child"] == 0, report


def test_a_process_forked_before_a_noted_release_does_not_scan(tmp_path: Path) -> None:
    """The fork server gives its pages back after answering its first request (a fork of its
    checking process): that child must not scan on its own meanwhile."""
    noted = ONCE.replace(
        "touch()\nfirst = pages.release_once()",
        "touch()\npages.will_release()\nfirst = pages.release_once()",
    )
    report = _run(noted, *_file(tmp_path))
    assert report == {"first": 0, "again": 0, "child": 0}, report
