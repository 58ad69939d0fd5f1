"""The worker's root: a read-only bind leaves nothing writable below it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NEEDS = "needs root and unshare(1) on Linux (a private mount namespace)"

SCRIPT = """
import os, sys
from grader.sandbox import rootfs

source, target = sys.argv[1], sys.argv[2]
os.system(f"mount -t tmpfs none {source}/writable && mount -t tmpfs none {source}/refused")
os.system(f"mkdir -p {source}/refused/inner && mount -t tmpfs none {source}/refused/inner")
real = rootfs._mount

def refusing(src, point, fstype, flags, data=""):
    if point == f"{target}/refused" and flags & rootfs.MS_REMOUNT:
        raise rootfs.RootError(1, "refused for the test")
    return real(src, point, fstype, flags, data)

rootfs._mount = refusing
rootfs._bind_readonly(source, target)
points = rootfs._mount_points(target)
writable = [p for p in points if not os.statvfs(p).f_flag & os.ST_RDONLY]
print(sorted(points), writable)
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not sys.platform.startswith("linux") or not shutil.which("unshare"),
    reason=NEEDS,
)
def test_a_read_only_bind_remounts_or_detaches_every_mount_below_it(tmp_path: Path) -> None:
    source, target = tmp_path / "host", tmp_path / "root"
    for folder in (source / "writable", source / "refused", target):
        folder.mkdir(parents=True)
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c"]
        + [textwrap.dedent(SCRIPT), str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # The refused mount is detached with the one inside it; the other is read-only, like the top.
    assert done.stdout.strip() == f"{sorted([str(target), f'{target}/writable'])} []"
