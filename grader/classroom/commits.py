"""When a student's files were committed, read from their git checkout without trusting it.

A student's repository is their own: its `.git/config` may name programs (a pager, an fsmonitor,
a gpg program) and its hooks are scripts. So git never runs on it: it runs on a private,
config-free repository of our own that borrows only the student's objects, refs and HEAD (read
as data), with the system and global configuration, hooks, pager, optional locks, signatures and
pathspec magic all turned off. Nothing in the student's repository is executed or written.

The time is the committer time of the newest commit of HEAD touching the files
(`git log -1 --format=%ct HEAD -- FILES`). A file that differs from its committed version, or
was never committed, counts with its modification time instead: what is graded was not in git.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from grader import nofollow

GIT_SECONDS = 20.0
_CONFIG = """\
[core]
\tbare = true
\thooksPath = /dev/null
\tfsmonitor = false
\tpager = cat
[log]
\tshowSignature = false
"""
# Everything else in git's environment that could point it at other files or programs.
_DROPPED = ("GIT_", "SSH_", "PAGER", "EDITOR", "VISUAL", "LESS")


def repository(folder: Path, top: Path) -> Path | None:
    """The `.git` folder of the checkout holding `folder`, looked for up to `top` (inclusive).

    Only a real folder counts: a `.git` file (a worktree or submodule pointer) or a symlink is
    not followed. None when there is none.
    """
    here, top = Path(os.path.abspath(folder)), Path(os.path.abspath(top))
    while True:
        candidate = here / ".git"
        try:
            if candidate.is_dir() and not candidate.is_symlink():
                return candidate
        except OSError:
            return None
        if here == top or here.parent == here or top not in here.parents:
            return None
        here = here.parent


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_DIR=str(home / "repo"),
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LITERAL_PATHSPECS="1",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_PAGER="cat",
        LC_ALL="C",
    )
    return env


def _borrow(git_dir: Path, into: Path) -> bool:
    """Lay out a repository of our own at `into` that reads the student's objects and refs."""
    into.mkdir()
    try:
        head = nofollow.read_bytes(git_dir / "HEAD", 4096)
    except OSError:
        return False
    (into / "HEAD").write_bytes(head)
    (into / "config").write_text(_CONFIG, encoding="ascii")
    for name in ("objects", "refs"):
        source = git_dir / name
        if not source.is_dir() or source.is_symlink():
            return False
        (into / name).symlink_to(source.resolve())
    for name in ("packed-refs", "shallow"):  # plain data files, when the checkout has them
        try:
            (into / name).write_bytes(nofollow.read_bytes(git_dir / name))
        except OSError:
            continue
    return True


def _git(env: dict[str, str], cwd: Path, *args: str) -> str | None:
    """Run git with our settings; its output, or None when it fails."""
    git = shutil.which("git")
    if git is None:
        return None
    command = [git, "--no-pager", "--no-optional-locks", "--literal-pathspecs"]
    command += ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]
    try:
        done = subprocess.run(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else None


def committed_at(files: list[Path], folder: Path, top: Path) -> float | None:
    """The time (seconds since the epoch) the student's `files` were last committed.

    None when `folder` is not in a git checkout under `top`, git is missing or cannot read it,
    or no commit touches the files. Files that differ from HEAD count with their own time.
    """
    git_dir = repository(folder, top)
    if git_dir is None or not files:
        return None
    root = git_dir.parent
    files = [Path(os.path.abspath(f)) for f in files]
    try:
        names = [str(f.relative_to(root)) for f in files]
    except ValueError:
        return None
    with tempfile.TemporaryDirectory(prefix="grade-git-") as tmp:
        home = Path(tmp)
        if not _borrow(git_dir, home / "repo"):
            return None
        env = _environment(home)
        stamp = _git(
            env, home, "log", "-1", "--no-show-signature", "--format=%ct", "HEAD", "--", *names
        )
        if not stamp or not stamp.strip().isdigit():
            return None
        when = float(stamp.strip())
        committed = _blobs(_git(env, home, "ls-tree", "-r", "-z", "HEAD", "--", *names) or "")
        current = _git(env, home, "hash-object", "--no-filters", "--", *map(str, files))
        hashes = (current or "").split()
        if len(hashes) != len(files):  # could not compare: count every file's own time
            hashes = [""] * len(files)
        for name, path, sha in zip(names, files, hashes, strict=True):
            if not sha or committed.get(name) != sha:  # changed since, or never committed
                try:
                    when = max(when, Path(path).lstat().st_mtime)
                except OSError:
                    continue
        return when


def _blobs(listing: str) -> dict[str, str]:
    """Path -> blob id from `git ls-tree -z` output."""
    found = {}
    for entry in listing.split("\0"):
        meta, _, name = entry.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            found[name] = parts[2]
    return found
