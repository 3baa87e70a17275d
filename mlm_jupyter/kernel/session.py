"""Where this kernel runs: its kernel id, its notebook file and the session id of this process."""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["KernelSession", "kernel_id", "notebook_path", "resolve_notebook"]


def kernel_id() -> str | None:
    """The Jupyter kernel id, from the connection file name ``kernel-<id>.json``; ``None`` outside a kernel."""
    if "ipykernel" not in sys.modules:  # a kernel has it imported; plain IPython must not import it (zmq, tornado)
        return None
    try:
        from ipykernel.connect import get_connection_file

        name = Path(get_connection_file()).name
    except Exception:  # noqa: BLE001 -- not in a kernel (plain IPython, tests)
        return None
    if name.startswith("kernel-") and name.endswith(".json"):
        return name[len("kernel-"):-len(".json")]
    return None


def resolve_notebook(candidate: str) -> str | None:
    """``candidate`` as an existing ``.ipynb`` path (relative: from the kernel's folder upward), else ``None``."""
    if not candidate.endswith(".ipynb"):
        return None
    return _resolve(candidate)


def _resolve(candidate: str, cwd: str | None = None) -> str | None:
    path = Path(candidate).expanduser()
    if path.is_absolute():
        return str(path) if path.is_file() else None
    # a server may pass a path relative to its root; the kernel runs in the notebook's folder
    start = Path(cwd) if cwd else Path.cwd()
    for base in (start, *start.parents):
        if (base / path).is_file():
            return str((base / path).resolve())
    return None


def notebook_path(user_ns: Mapping[str, Any] | None = None, cwd: str | None = None) -> str | None:
    """The notebook this kernel runs, if known and on disk.

    Looked up in ``MLM_NOTEBOOK``, then ``__session__`` (set by ipykernel from
    ``JPY_SESSION_NAME``), then ``JPY_SESSION_NAME``; relative paths are
    resolved from the kernel's folder upward (``cwd``, default the current one:
    a capture that starts late passes the folder the extension was loaded in,
    since the notebook's first cells may have changed directory).
    """
    candidates = [os.environ.get("MLM_NOTEBOOK"), (user_ns or {}).get("__session__"),
                  os.environ.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            resolved = _resolve(candidate, cwd)
            if resolved:
                return resolved
    return None


class KernelSession:
    """One kernel process's recording session (a restart starts a new one)."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.kernel_id = kernel_id()
        self.started_at = time.time()
        self.host = socket.gethostname()
        self.pid = os.getpid()

    def to_record(self, notebook: str | None) -> dict[str, Any]:
        return {"id": self.id, "kernel_id": self.kernel_id, "notebook": notebook, "host": self.host,
                "pid": self.pid, "started_at": self.started_at}
