"""A store file held by another process: writes journal once after the wait, the next ones without it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore

_CHILD = """
import sys, time
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore
store = DuckDbStore(sys.argv[1], lock_timeout=3.0)
waits = []
for i in range(5):
    started = time.monotonic()
    store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {f"p{i}": str(i)}})))
    waits.append(time.monotonic() - started)
print("waits", " ".join(f"{w:.2f}" for w in waits))
"""


def test_writes_after_the_first_journaled_one_do_not_wait_the_lock_timeout_again(tmp_path: Path) -> None:
    holder = DuckDbStore(tmp_path / "s", hold_seconds=None)
    holder.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                 "start_time": time.time(), "owner": "test"})))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "s")], capture_output=True, text=True,
                         timeout=120, check=True)
    waits = [float(w) for w in out.stdout.split("waits")[1].split()]
    assert waits[0] >= 2.5, out  # the first write waited for the lock (lock_timeout=3 s) ...
    assert max(waits[1:]) < 1.5, out  # ... the next four went to the journal almost at once (were 3 s each)
    assert "is locked by another process" in out.stderr and out.stderr.count("is locked") == 1
    assert holder.journal.count() == 5
    holder.close()
    reopened = DuckDbStore(tmp_path / "s")  # nothing lost: replayed exactly once on the next open
    params = reopened.sql("SELECT key, value FROM params WHERE run_id = 'r1' ORDER BY key")
    assert params.to_pydict() == {"key": ["p0", "p1", "p2", "p3", "p4"], "value": ["0", "1", "2", "3", "4"]}
    assert reopened.journal.count() == 0
    reopened.close()


def test_a_write_after_the_file_is_free_again_applies_directly(tmp_path: Path) -> None:
    store = DuckDbStore(tmp_path / "s", lock_timeout=3.0)
    store.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                "start_time": time.time(), "owner": "test"})))
    store._busy_until = time.monotonic() + 60  # as after a journaled write; the file is free now
    store.write(WriteBatch.of(Op("log_params", {"run_id": "r1", "params": {"a": "1"}})))
    assert store.journal.count() == 0 and store._busy_until == 0.0
    assert store.sql("SELECT value FROM params WHERE key = 'a'").to_pydict() == {"value": ["1"]}
    store.close()
