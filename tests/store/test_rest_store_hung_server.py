"""A server that accepts connections but never answers (hung, SIGSTOPped): one wait, then writes journal at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.rest_store import RestStore


@pytest.fixture
def hung_url() -> Iterator[str]:
    with socket.socket() as sock:  # listens (the kernel completes handshakes) but nobody ever reads or replies
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_a_hung_server_costs_one_write_timeout_not_one_per_write(store_dir: Path, hung_url: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with DuckDbStore(store_dir) as local:
        local.write(WriteBatch.of(Op("create_run", {"run_id": "r", "experiment": "e", "name": "r",
                                                    "start_time": time.time()})))
    remote = RestStore(hung_url, token="t", directory=store_dir, timeout=2, write_timeout=4)
    waits = []
    for i in range(4):
        started = time.monotonic()
        remote.write(WriteBatch.of(Op("log_params", {"run_id": "r", "params": {f"p{i}": str(i)}})))
        waits.append(time.monotonic() - started)
    assert waits[0] >= 3.5  # the first write waited write_timeout before journaling ...
    assert max(waits[1:]) < 3.0, waits  # ... the next ones only the short retry (were 4 s each; 600 s by default)
    err = capsys.readouterr().err
    assert err.count("writes are kept in") == 1 and "does not answer" in err
    assert remote.journal is not None and remote.journal.count() == 4
    with DuckDbStore(store_dir) as owner:  # nothing lost: replayed exactly once by the next owner
        assert owner.read("run", run_id="r")["params"] == {f"p{i}": str(i) for i in range(4)}
