"""RestStore without a server: unreachable owner -> journal, replayed exactly once; error decoding."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from mlm_jupyter.core.errors import StoreUnreachableError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.discovery import discover_server_store, write_server_record
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.rest_store import RestStore


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_unreachable_server_sends_writes_to_the_journal_replayed_once(store_dir: Path) -> None:
    with DuckDbStore(store_dir) as local:  # the store exists with a run
        local.write(WriteBatch.of(Op("create_run", {"run_id": "r", "experiment": "e", "name": "r",
                                                    "start_time": time.time()})))
    remote = RestStore(closed_port_url(), token="t", directory=store_dir, timeout=2)
    batch = WriteBatch.of(Op("set_tags", {"run_id": "r", "tags": {"k": "v"}}))
    assert remote.write(batch) == [None]
    assert remote.write(batch) == [None]  # a retry of the same batch
    assert remote.journal is not None and remote.journal.count() == 2
    with pytest.raises(StoreUnreachableError, match="does not answer"):
        remote.read("counts")
    with DuckDbStore(store_dir) as owner:  # whoever owns the file next replays the journal
        assert owner.read("run", run_id="r")["tags"] == {"k": "v"}
        applied = owner.sql("SELECT count(*) AS n FROM applied_batches WHERE id = ?", [batch.id])
        assert applied.column("n")[0].as_py() == 1
    assert remote.journal.count() == 0


def test_writes_that_need_a_result_are_not_journaled(store_dir: Path) -> None:
    remote = RestStore(closed_port_url(), directory=store_dir, timeout=2)
    from mlm_jupyter.core.errors import StoreError

    with pytest.raises(StoreError):
        remote.write(WriteBatch.of(Op("no_such_op_needs_result", {})))
    remote_without_dir = RestStore(closed_port_url(), timeout=2)
    with pytest.raises(StoreUnreachableError):
        remote_without_dir.write(WriteBatch.of(Op("set_tags", {"run_id": "r", "tags": {}})))


def test_a_stale_server_record_is_ignored(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    write_server_record(store_dir, closed_port_url(), "secret")
    record = (store_dir / "server.json").read_text().replace('"pid": ', f'"pid": {child.pid}, "old_pid": ', 1)
    (store_dir / "server.json").write_text(record)
    assert discover_server_store(store_dir) is None
    monkeypatch.setenv("MLM_NO_SERVER", "1")
    assert discover_server_store(store_dir) is None


def test_no_record_means_no_server(store_dir: Path) -> None:
    assert discover_server_store(store_dir) is None


def test_a_restarted_server_at_a_new_url_is_followed(store_dir: Path) -> None:
    """The old URL refuses connections; the record in the store points at the new server."""
    import http.server
    import json
    import threading

    class Owner(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append((self.path, self.headers.get("Authorization")))
            body = json.dumps({"result": {"runs": 1}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    seen: list[tuple[str, str | None]] = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Owner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        remote = RestStore(closed_port_url(), token="old", directory=store_dir, timeout=5)
        write_server_record(store_dir, f"http://127.0.0.1:{server.server_port}/", "new")
        assert remote.read("counts") == {"runs": 1}
        assert seen[0][0].startswith("/mlm/api/store/read/counts") and seen[0][1] == "token new"
    finally:
        server.shutdown()


def test_a_kernel_uses_the_server_its_parent_exported(store_dir: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLM_SERVER_URL", "http://127.0.0.1:9/base/")
    monkeypatch.setenv("MLM_SERVER_PID", "4242")
    monkeypatch.setenv("MLM_SERVER_TOKEN", "tok")
    monkeypatch.setenv("JPY_PARENT_PID", "4242")
    found = discover_server_store(store_dir)
    assert isinstance(found, RestStore) and found.url == "http://127.0.0.1:9/base/" and found.token == "tok"
    assert found.directory == store_dir
    assert discover_server_store(tmp_path / "another-store") is None  # not the server's store: no record there
    monkeypatch.setenv("JPY_PARENT_PID", "1")  # a kernel of some other server
    assert discover_server_store(store_dir) is None
