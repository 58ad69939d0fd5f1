"""Resource limits and isolation that a worker puts on itself before importing learner code."""

from __future__ import annotations

import os
import resource
import signal
import sys
from dataclasses import asdict, dataclass
from typing import Any

KEEP_ENV = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "CUDA_VISIBLE_DEVICES",
    "LD_LIBRARY_PATH",
    "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "SYSTEMROOT",
)


@dataclass(frozen=True)
class Limits:
    """What one worker may use; every field is configurable from the CLI."""

    call_seconds: float = 10.0
    exercise_seconds: float = 60.0
    cpu_seconds: int = 120
    memory_bytes: int = 4 * 1024**3
    output_bytes: int = 1024 * 1024
    file_bytes: int = 16 * 1024 * 1024
    max_processes: int = 64

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise ValueError(f"limit {name} must be positive, got {value!r}")

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for the worker's config."""
        return asdict(self)


def _set(kind: int, value: int) -> None:
    try:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass


def strip_environment(tmpdir: str) -> None:
    """Drop every variable learner code does not need (CI tokens and secrets among them)."""
    kept = {k: v for k, v in os.environ.items() if k in KEEP_ENV}
    os.environ.clear()
    os.environ.update(kept)
    os.environ.update(HOME=tmpdir, TMPDIR=tmpdir, PYTHONDONTWRITEBYTECODE="1")


def redirect_output(path: str) -> None:
    """Send the worker's stdout and stderr to a capture file that the trusted side reads."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 - lives as long as the process
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115


def enter(config: dict[str, Any]) -> None:
    """Apply the limits and isolation in `config` to this (the worker) process."""
    from grader.sandbox import isolation

    limits = Limits(**config["limits"])
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Python ignores SIGXFSZ; restored, a write past the file-size limit ends the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    for path in config.get("cgroups", []):
        with open(os.path.join(path, "cgroup.procs"), "w") as handle:
            handle.write(str(os.getpid()))
    tmpdir = config["tmpdir"]
    os.chdir(tmpdir)
    redirect_output(config["output_file"])
    strip_environment(tmpdir)
    _set(resource.RLIMIT_CPU, int(limits.cpu_seconds))
    # A flood of output (it goes to a file) or a disk filler past this ends the worker with SIGXFSZ.
    _set(resource.RLIMIT_FSIZE, int(limits.file_bytes))
    _set(resource.RLIMIT_CORE, 0)
    if not config.get("cuda"):
        # RLIMIT_DATA counts heap and private writable mappings, not CUDA's PROT_NONE reservations.
        _set(resource.RLIMIT_DATA, int(limits.memory_bytes))
    if config.get("isolation") == "root":
        _set(resource.RLIMIT_NPROC, limits.max_processes)
        isolation.enter(config)
    elif config.get("isolation") == "userns":
        _set(resource.RLIMIT_NPROC, _user_processes() + limits.max_processes)
        isolation.enter(config)
    else:
        # RLIMIT_NPROC counts every process of the user: leave room for what already runs.
        _set(resource.RLIMIT_NPROC, _user_processes() + limits.max_processes)
    try:
        import torch

        torch.set_num_threads(1)
    except Exception:  # noqa: BLE001 - a worker without torch still serves pure-Python probes
        pass


def _user_processes() -> int:
    """How many processes (threads included) this user runs now."""
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count
