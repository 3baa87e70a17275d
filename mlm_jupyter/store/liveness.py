"""Process identity for crash recovery: is the process that owns a run still alive?"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import psutil

__all__ = ["ProcessIdentity", "is_alive", "this_process"]


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    started: float  # process start time; guards against a reused pid


def this_process() -> ProcessIdentity:
    pid = os.getpid()
    return ProcessIdentity(socket.gethostname(), pid, psutil.Process(pid).create_time())


def is_alive(pid: int, started: float | None) -> bool:
    """True if ``pid`` runs and started at ``started`` (within a second)."""
    try:
        process = psutil.Process(pid)
        if started is None:
            return bool(process.is_running())
        return bool(abs(process.create_time() - started) < 1.0 and process.status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False
