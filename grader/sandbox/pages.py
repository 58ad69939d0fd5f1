"""Giving back the pages of code and read-only data that importing torch touched once.

Importing torch runs the static initialisers of libtorch and of a dozen CUDA libraries, and the
dynamic linker reads their symbol tables: the fork server ends its import holding about 210 MiB
of pages of those files that nothing reads again on the CPU (cuBLASLt, nvJitLink and NVRTC alone
are over 100 MiB of them). They are clean copies of the files, so the kernel would drop them
under memory pressure anyway; until then they count in the server's resident memory and in the
summed PSS of every run. `release()` drops them now with `madvise(MADV_DONTNEED)`: the files
stay in the page cache, and a page read again later maps back from it with a minor fault.

Only pages that are still the file's own are dropped: in a private mapping, a page this process
has written (relocations, then made read-only) is its own copy, and dropping it would bring the
file's bytes back in its place. `/proc/self/pagemap` tells them apart page by page (bit 61, "file
page"; bit 62, swapped; bit 63, present), and those pages are kept, as are writable and shared
mappings. Linux only; elsewhere, or where pagemap cannot be read, nothing is done.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import threading

from grader.sandbox.libc import LIBC

_MADV_DONTNEED = 4
# Each pagemap entry is 8 little-endian bytes; the last holds bits 56 to 63. A page must be kept
# when it is this process's own: swapped (bit 62), or present (bit 63) but not a file page (61).
_OWN = bytes(
    0x31 if (flags & 0x40) or (flags & 0x80 and not flags & 0x20) else 0x30 for flags in range(256)
)
# A page given back: present and still the file's own.
_RESIDENT = bytes(0x31 if flags & 0xA0 == 0xA0 else 0x30 for flags in range(256))
_RUN_OF_OWN = re.compile(rb"1+")


def _madvise(address: int, length: int) -> bool:
    return bool(
        LIBC.madvise(ctypes.c_void_p(address), ctypes.c_size_t(length), _MADV_DONTNEED) == 0
    )


def _candidates(maps: str) -> list[tuple[int, int]]:
    """(start, end) of each private, read-only mapping of a file: code and read-only data."""
    found = []
    for line in maps.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 6 or not fields[5].startswith("/"):
            continue  # anonymous memory, the heap, the stack, [vdso]...
        permissions = fields[1]
        if permissions[1] == "w" or permissions[3] != "p":
            continue  # written data, or shared with another process
        start, end = (int(part, 16) for part in fields[0].split("-"))
        found.append((start, end))
    return found


_handled = False  # pages given back here (or noted to be), inherited by what forks from here


def will_release() -> None:
    """Note that this process gives its pages back itself, when it chooses (the fork server,
    after answering a request): a process it forks meanwhile does not scan on its own."""
    global _handled
    _handled = True


def release_once() -> int:
    """`release()` in a process that imported torch itself, once; 0 where it was done already.

    A process forked from one that gave its pages back (a checking process or a job, from the
    fork server or a grader) inherits that: the file pages it holds are those it read since,
    and it would only read them again.
    """
    return 0 if _handled else release()


def release() -> int:
    """Drop this process's clean pages of read-only file mappings; the resident bytes dropped.

    Only a process running no other Python thread gives anything back (the fork server, after
    its imports): a read-only file mapping must not be replaced between reading pagemap and the
    madvise that follows, and another thread importing a module or mapping a file could unmap
    such a range and map fresh memory there meanwhile. Native threads of the libraries loaded
    (OpenBLAS's pool, watchfiles' watcher in `grade watch`) load and unload no library and map
    no file over one: what they allocate is anonymous memory, never in the ranges scanned.
    """
    global _handled
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return 0
    _handled = True
    page = os.sysconf("SC_PAGE_SIZE")
    dropped = 0
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as handle:
            maps = handle.read()
        with open("/proc/self/pagemap", "rb", buffering=0) as pagemap:
            for start, end in _candidates(maps):
                count = (end - start) // page
                pagemap.seek(start // page * 8)
                entries = pagemap.read(count * 8)
                if len(entries) != count * 8:
                    continue
                flags = entries[7::8]
                own, resident = flags.translate(_OWN), flags.translate(_RESIDENT)
                begin = 0  # the first page of the stretch not yet given back
                for run in (*_RUN_OF_OWN.finditer(own), None):
                    stop = run.start() if run is not None else count
                    if stop > begin and _madvise(start + begin * page, (stop - begin) * page):
                        dropped += resident.count(b"1", begin, stop) * page
                    if run is not None:
                        begin = run.end()
    except OSError:
        return dropped  # no pagemap (an old kernel, a locked-down /proc): keep everything
    return dropped
