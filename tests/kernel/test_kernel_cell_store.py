"""Cell records in the store: batching, content addressing, idempotent upserts (store.domains.cells)."""

from __future__ import annotations

import time

from mlm_jupyter.tracking.cells import CellRecordBuffer, source_digest
from mlm_jupyter.tracking.client import MlmClient


def record(n: int, source: str, **extra: object) -> dict[str, object]:
    return {"id": f"r{n}", "session_id": "s1", "seq": n, "execution_count": n + 1,
            "source_sha256": source_digest(source), "start_time": 1000.0 + n, "duration": 0.01, "success": True,
            "names_read": [], "names_written": ["x"], **extra}


def test_records_are_queued_then_flushed_in_one_batch(client: MlmClient) -> None:
    for n in range(50):
        client.record_cell(record(n, "x = 1"), "x = 1")
    assert client.cell_buffer.pending == 50
    frame = client.cell_history()
    assert len(frame) == 50 and client.cell_buffer.pending == 0
    assert int(client.sql("SELECT count(*) AS n FROM cell_sources")["n"][0]) == 1


def test_background_thread_flushes_without_being_asked(store_dir: object) -> None:
    client = MlmClient(str(store_dir))
    buffer = CellRecordBuffer(client.store, interval=0.05)
    buffer.add(record(0, "y = 2"), "y = 2")
    deadline = time.time() + 10
    while buffer.pending and time.time() < deadline:
        time.sleep(0.02)
    assert buffer.pending == 0
    assert list(client.cell_history()["source"]) == ["y = 2"]
    buffer.close()
    client.close()


def test_a_provisional_record_is_completed_by_the_final_one(client: MlmClient) -> None:
    client.record_cell(record(0, "z = 3", success=None, duration=None, run_id="run-1"), "z = 3")
    client.flush_cells()
    client.record_cell(record(0, "z = 3", success=False, error_type="KeyError", run_id=None), "z = 3",
                       [{"record_id": "r0", "name": "df", "role": "read", "kind": "pandas.DataFrame",
                         "digest": "d" * 32, "changed": False, "rehashed": False}])
    frame = client.cell_history()
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["success"] == False and row["error_type"] == "KeyError" and row["run_id"] == "run-1"
    assert client.cell_data("r0")[0]["name"] == "df"


def test_history_filters_by_notebook_and_session(client: MlmClient) -> None:
    client.record_cell(record(0, "a = 1", notebook="/n/a.ipynb"), "a = 1")
    client.record_cell(record(1, "b = 1", notebook="/n/b.ipynb", session_id="s2"), "b = 1")
    assert list(client.cell_history(notebook="/n/a.ipynb")["source"]) == ["a = 1"]
    assert list(client.cell_history(session="s2")["source"]) == ["b = 1"]
