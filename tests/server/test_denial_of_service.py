"""A real ``jupyter server`` stays up and responsive under hostile or clumsy requests (issue 11, items 4 and 15).

Each test starts the server as its own process, so its memory (``VmHWM``,
the peak resident set) and its log file are the real ones.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import requests

from mlm_jupyter.core.errors import PayloadTooLargeError
from mlm_jupyter.store.rest_store import RestStore
from mlm_jupyter.tracking.client import MlmClient
from tests.integration.server_process import JupyterServerProcess

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServerProcess]:
    """One server for the module (starting one takes ~15 s on a loaded machine); tests run in file order."""
    workdir = tmp_path_factory.mktemp("dos")
    process = JupyterServerProcess(workdir, workdir / "store", extra_args=(
        "--MlmServer.max_body_bytes=1000000", "--MlmServer.max_blob_bytes=600000000")).start()
    yield process
    process.stop()


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:  # no disk blocks: reading it back is fast
        handle.truncate(size)
    return path


def test_bodies_over_the_limit_get_a_json_413_without_being_held(server: JupyterServerProcess,
                                                                  tmp_path: Path) -> None:
    assert server.process is not None
    before = _peak_rss_mb(server.process.pid)
    for size in (600 * MB,):  # above the limit and above tornado's own 512 MB cap (whose 400 was not JSON)
        with open(_sparse(tmp_path / "body", size), "rb") as body:
            reply = requests.post(server.url + "mlm/api/store/write", data=body, timeout=120,
                                  headers={**server.headers, "Content-Type": "application/json"})
        assert reply.status_code == 413, reply.text[:300]
        error = reply.json()
        assert error["code"] == "PAYLOAD_TOO_LARGE" and "1,000,000" in error["message"]
        assert "MlmServer.max_body_bytes" in error["message"]
    # a body with no Content-Length (chunked) that grows past the limit is dropped as it arrives
    chunks = (b"x" * MB for _ in range(20))
    reply = requests.post(server.url + "mlm/api/store/write", data=chunks, timeout=120, headers=server.headers)
    assert reply.status_code == 413 and reply.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert _peak_rss_mb(server.process.pid) - before < 100  # 300 MB used to cost +550 MB
    assert server.get("mlm/api/status").status_code == 200


def test_a_big_artifact_streams_to_disk_and_one_over_the_limit_says_what_to_do(server: JupyterServerProcess,
                                                                              tmp_path: Path) -> None:
    assert server.process is not None
    before = _peak_rss_mb(server.process.pid)
    big = _sparse(tmp_path / "weights.bin", 520 * MB)  # above the old 512 MB upload limit and tornado's cap
    store = RestStore(server.url, server.token)
    sha256 = store.put_file(big)
    assert store.has_blob(sha256)
    assert _peak_rss_mb(server.process.pid) - before < 100  # streamed, never held whole
    assert not [p for p in (server.store / "artifacts").glob(".upload-*")]  # the spool file was moved in
    big.unlink()
    too_big = _sparse(tmp_path / "too-big.bin", 610 * MB)
    with pytest.raises(PayloadTooLargeError) as caught:
        store.put_file(too_big)
    message = str(caught.value)
    assert "600,000,000" in message and "MlmServer.max_blob_bytes" in message
    assert "400 Bad Request" not in message
    store.close()


def test_an_upload_cut_off_midway_leaves_no_spool_file(server: JupyterServerProcess) -> None:
    import socket
    from urllib.parse import urlparse

    spools = server.store / "artifacts"
    url = urlparse(server.url)
    sha256 = "ab" * 32
    head = (f"PUT {url.path}mlm/api/store/blobs/{sha256} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: token {server.token}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {50 * MB}\r\n\r\n").encode()
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(head + b"x" * (2 * MB))  # a client killed after 2 of 50 MB
        deadline = time.monotonic() + 30
        while not list(spools.glob(".upload-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(spools.glob(".upload-*")), "the server spools the upload as it arrives"
    deadline = time.monotonic() + 30
    while list(spools.glob(".upload-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not list(spools.glob(".upload-*"))
    # and probes that carry no body make no spool file at all
    store = RestStore(server.url, server.token)
    for _ in range(20):
        assert not store.has_blob(sha256)
        assert not list(spools.glob(".upload-*"))


def test_user_sql_does_not_stall_the_ui(server: JupyterServerProcess) -> None:
    slow = {"statement": "SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3", "timeout_s": 4}
    replies: list[int] = []

    def query() -> None:
        try:
            replies.append(requests.post(server.url + "mlm/api/store/sql", data=json.dumps(slow),
                                         headers=server.headers, timeout=120).status_code)
        except requests.RequestException:
            replies.append(-1)

    assert server.get("mlm/api/runs").status_code == 200  # warm: the first request imports the views (~2 s)
    threads = [threading.Thread(target=query, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the queries are running (or queued)
    started = time.monotonic()
    runs = server.get("mlm/api/runs")
    elapsed = time.monotonic() - started
    assert runs.status_code == 200
    assert elapsed < 2.0, f"GET /runs took {elapsed:.1f} s while 8 slow SQL queries ran"  # was 28 s
    for thread in threads:
        thread.join(60)
    assert replies and all(code in (200, 400) for code in replies), replies  # 400: stopped at its time limit


def test_deep_filters_are_a_400_not_a_500(server: JupyterServerProcess) -> None:
    for text in ("(" * 500 + "metrics.a > 1" + ")" * 500, "not " * 2000 + "metrics.a > 1"):
        reply = server.get("mlm/api/runs", params={"filter": text})
        assert reply.status_code == 400 and reply.json()["code"] == "INVALID_QUERY", reply.text[:300]
        assert "nested" in reply.json()["message"]
    assert "RecursionError" not in server.log_path.read_text()


def test_blob_probes_that_answer_no_are_not_logged_as_warnings(server: JupyterServerProcess,
                                                               tmp_path: Path) -> None:
    """A tracked run through the server probes each blob before uploading it (HEAD -> 404 -> PUT)."""
    start = len(server.log_path.read_bytes())  # this test's part of the log only
    client = MlmClient(RestStore(server.url, server.token))
    run = client.create_run("quiet")
    for i in range(5):
        path = tmp_path / f"a{i}.txt"
        path.write_text(f"artifact {i}")
        client.log_artifact(run.id, path)
        client.log_text(run.id, f"note {i}", f"notes/{i}.txt")
    client.end_run(run.id)
    client.close()
    time.sleep(0.5)
    log = server.log_path.read_bytes()[start:].decode()
    assert log.count("/mlm/api/store/blobs/") == 0, [line for line in log.splitlines() if "blobs" in line]
    assert "404 HEAD" not in log
    # a real error is still a warning in the same log
    assert requests.get(server.url + "mlm/api/runs/nope", headers=server.headers, timeout=30).status_code == 404
    time.sleep(0.5)
    assert "/mlm/api/runs/nope" in server.log_path.read_bytes()[start:].decode()
