"""Reading and writing on the learner's side without ever following a symlink.

The grader often runs as root (that is how it isolates learner code), and everything in a
workspace or a class folder was put there by a learner. A symlink there would make root read or
write whatever it points to: a reference solution graded as the learner's own, a classmate's
results overwritten, a root-only file quoted in a report. So the trusted process opens learner
files with `O_NOFOLLOW`, accepts regular files only, and never writes through a link.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """A learner path that is a symlink, a folder, a device or a pipe: it is never read.

    Cause: the submission holds a link (or something else) where a file belongs. Remedy: submit
    the file itself.
    """


def describe(path: Path) -> str:
    """Why `path` is not read, in words for the learner ('' for a plain file or nothing)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return ""
    if stat.S_ISLNK(mode):
        return f"{Path(path).name} is a symlink; submit the file itself"
    if not stat.S_ISREG(mode):
        return f"{Path(path).name} is not a regular file; submit the file itself"
    return ""


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The content of the regular file `path`, at most `limit` bytes (more are left unread).

    FileNotFoundError if there is nothing; NotRegularFile for a symlink or anything but a file.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise NotRegularFile(exc.errno, describe(path) or f"{path} is a symlink") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(errno.EINVAL, describe(path))
        chunks, left = [], limit if limit is not None else -1
        while left != 0:
            chunk = os.read(fd, 1 << 20 if left < 0 else min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left = left - len(chunk) if left > 0 else left
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: Path, limit: int | None = None) -> str:
    """`read_bytes` decoded as UTF-8, undecodable bytes replaced."""
    return read_bytes(path, limit).decode("utf-8", errors="replace")


def real_folder(path: Path) -> Path:
    """`path` as a real folder of its parent: a symlink planted in its place is removed first.

    For the grader's own folders inside a workspace (`.grade/`), which a learner may have
    replaced by a link to somebody else's folder.
    """
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path
