"""Process identity for crash recovery: is the process that owns a run still alive?

On Linux the start time comes from ``/proc/<pid>/stat`` (what psutil reads, computed the
same way), so a script that starts a run does not import psutil; elsewhere psutil answers.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

__all__ = ["ProcessIdentity", "is_alive", "this_process"]


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    started: float  # process start time; guards against a reused pid


_boot_time: list[float] = []


def _proc_stat(pid: int) -> tuple[str, float] | None:
    """(state, start time in epoch seconds) of ``pid`` from ``/proc``; ``None`` when it is not running.

    Raises ``OSError`` (other than a missing process) or ``ValueError`` when ``/proc`` cannot say.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2:].split()  # the command name may hold spaces and parentheses
    if not _boot_time:
        with open("/proc/stat", "rb") as handle:
            _boot_time.append(float(next(line for line in handle if line.startswith(b"btime")).split()[1]))
    return fields[0].decode("ascii"), int(fields[19]) / os.sysconf("SC_CLK_TCK") + _boot_time[0]


def _linux() -> bool:
    return os.path.isfile("/proc/self/stat")


def this_process() -> ProcessIdentity:
    pid = os.getpid()
    if _linux():
        try:
            stat = _proc_stat(pid)
            if stat is not None:
                return ProcessIdentity(socket.gethostname(), pid, stat[1])
        except (OSError, ValueError, StopIteration):
            pass
    import psutil

    return ProcessIdentity(socket.gethostname(), pid, psutil.Process(pid).create_time())


def is_alive(pid: int, started: float | None) -> bool:
    """True if ``pid`` runs and started at ``started`` (within a second)."""
    if _linux():
        try:
            stat = _proc_stat(pid)
        except (OSError, ValueError, StopIteration):
            pass
        else:
            if stat is None:
                return False
            return started is None or (abs(stat[1] - started) < 1.0 and stat[0] != "Z")
    import psutil

    try:
        process = psutil.Process(pid)
        if started is None:
            return bool(process.is_running())
        return bool(abs(process.create_time() - started) < 1.0 and process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False
