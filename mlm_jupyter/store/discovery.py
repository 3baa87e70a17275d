"""Finding the Jupyter server that owns a store: its record in the store directory.

A server with the mlm-jupyter extension writes, once it listens,
``<store>/server.json`` (url, pid, process start time, host, version) and
``<store>/server.token`` (its token, mode 0600: never world-readable). It also
exports ``MLM_STORE``, ``MLM_SERVER_PID``, ``MLM_SERVER_TOKEN`` and, once
listening, ``MLM_SERVER_URL`` to the kernels it starts. A process opening the
store calls ``discover_server_store``: a kernel whose ``JPY_PARENT_PID`` is
its server's pid uses that server at once; any other
process checks the recorded pid is alive on this host and that the server
answers ``/api/status`` before using it. A stale record (server gone) is
ignored, so the process opens the DuckDB file itself.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any, Mapping

from mlm_jupyter.store.contract import Store
from mlm_jupyter.store.liveness import is_alive, this_process

__all__ = ["RECORD_FILE", "TOKEN_FILE", "discover_server_store", "read_server_record",
           "remove_server_record", "write_server_record"]

RECORD_FILE = "server.json"
TOKEN_FILE = "server.token"
_PROBE_TIMEOUT_S = 2.0


def _write_atomic(path: Path, text: str, mode: int) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_server_record(directory: Path, url: str, token: str, **extra: Any) -> dict[str, Any]:
    """Record that this process serves the store in ``directory`` at ``url``."""
    directory.mkdir(parents=True, exist_ok=True)
    me = this_process()
    record = {"url": url if url.endswith("/") else url + "/", "pid": me.pid, "pid_start": me.started,
              "host": me.host, **extra}
    _write_atomic(directory / TOKEN_FILE, token, 0o600)
    _write_atomic(directory / RECORD_FILE, json.dumps(record, indent=2), 0o644)
    return record


def remove_server_record(directory: Path) -> None:
    """Remove this process's record (a record written by another process is left alone)."""
    record = read_server_record(directory)
    if record is not None and record.get("pid") == os.getpid():
        (directory / RECORD_FILE).unlink(missing_ok=True)
        (directory / TOKEN_FILE).unlink(missing_ok=True)


def read_server_record(directory: Path) -> dict[str, Any] | None:
    """The record in ``directory`` with its ``token`` added, or ``None``."""
    try:
        record = json.loads((directory / RECORD_FILE).read_text(encoding="utf-8"))
        token_path = directory / TOKEN_FILE
        record["token"] = token_path.read_text(encoding="utf-8").strip() if token_path.exists() else ""
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "url" in record and "pid" in record else None


def _is_parent_server(record: Mapping[str, Any]) -> bool:
    return os.environ.get("JPY_PARENT_PID") == str(record["pid"]) and record.get("host") == socket.gethostname()


def _answers(url: str, token: str) -> bool:
    import requests

    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        return requests.get(url + "api/status", headers=headers, timeout=_PROBE_TIMEOUT_S).status_code == 200
    except requests.RequestException:
        return False


def _parent_server_from_environment(directory: Path) -> Store | None:
    """In a kernel started by the server that owns ``directory``: the server it exported."""
    url, pid = os.environ.get("MLM_SERVER_URL"), os.environ.get("MLM_SERVER_PID")
    if not url or not pid or os.environ.get("JPY_PARENT_PID") != pid:
        return None
    if Path(os.environ.get("MLM_STORE") or "/nonexistent").resolve() != Path(directory).resolve():
        return None  # this kernel opens another store than its server's
    from mlm_jupyter.store.rest_store import RestStore

    return RestStore(url, token=os.environ.get("MLM_SERVER_TOKEN", ""), directory=Path(directory))


def discover_server_store(directory: Path) -> Store | None:
    """A ``RestStore`` on the live server that owns ``directory``, or ``None``.

    Set ``MLM_NO_SERVER=1`` to always open the DuckDB file directly.
    """
    if os.environ.get("MLM_NO_SERVER") == "1":
        return None
    from_parent = _parent_server_from_environment(Path(directory))
    if from_parent is not None:
        return from_parent
    record = read_server_record(Path(directory))
    if record is None or int(record["pid"]) == os.getpid():
        return None
    if _is_parent_server(record):
        record["token"] = record["token"] or os.environ.get("MLM_SERVER_TOKEN", "")
    else:
        if record.get("host") != socket.gethostname():
            return None  # a record from another machine sharing the folder: the pid means nothing here
        if not is_alive(int(record["pid"]), record.get("pid_start")):
            return None
        if not _answers(str(record["url"]), str(record["token"])):
            return None
    from mlm_jupyter.store.rest_store import RestStore

    return RestStore(str(record["url"]), token=str(record["token"]), directory=Path(directory))
