"""The C library, for the system calls Python does not wrap (prctl, unshare, mount, umount2).

`CDLL(None)` is the process's own symbol table, which holds libc already: nothing is searched
for. `ctypes.util.find_library("c")` would run `ldconfig -p` in a subprocess for each module
that asked, in the command-line process and in the fork server before its torch import.
"""

from __future__ import annotations

import ctypes

LIBC = ctypes.CDLL(None, use_errno=True)
