"""The data domain on a real DuckDB file: versions, run inputs, cell links and lineage with cell records."""

from __future__ import annotations

import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.client import MlmClient


def tables(client: MlmClient) -> set[str]:
    return set(client.sql("SELECT table_name FROM information_schema.tables")["table_name"])


def test_schema_has_the_columns_the_search_language_needs(client: MlmClient) -> None:
    columns = set(client.sql("SELECT column_name FROM information_schema.columns WHERE table_name = 'run_inputs'")
                  ["column_name"])
    assert {"run_id", "dataset", "role", "digest", "cell_id", "cell_record"} <= columns
    assert {"datasets", "dataset_versions", "run_inputs"} <= tables(client)


def test_versions_without_a_run_and_cell_fields(client: MlmClient) -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})
    version = client.log_input(None, df, "standalone")
    assert version.version == 1 and client.dataset_versions("standalone")[0].run_id is None
    run = client.create_run("cells")
    client.log_inputs(run.id, [{"name": "standalone", "role": "train", "fingerprint": mlm.fingerprint(df),
                                "cell_id": "cell-7", "cell_record": "rec-1"}])
    row = client.sql("SELECT dataset, role, version, cell_id, cell_record FROM run_inputs WHERE run_id = ?", run.id)
    assert row.to_dict("records") == [{"dataset": "standalone", "role": "train", "version": 1, "cell_id": "cell-7",
                                       "cell_record": "rec-1"}]
    with pytest.raises(NotFoundError):
        client.log_input("no-such-run", df, "x")
    with pytest.raises(NotFoundError):
        client.dataset_versions("no-such-dataset")


def test_a_replayed_batch_does_not_duplicate_inputs(client: MlmClient) -> None:
    run = client.create_run("replay")
    item = {"name": "d", "role": "train", "fingerprint": mlm.fingerprint(b"abc").to_dict()}
    batch = WriteBatch.of(Op("log_inputs", {"run_id": run.id, "inputs": [item]}))
    client.store.write(batch)
    client.store.write(batch)
    client.log_inputs(run.id, [item])
    assert int(client.sql("SELECT count(*) AS n FROM run_inputs")["n"][0]) == 1


def test_get_run_merges_tracked_cell_data(client: MlmClient) -> None:
    if "run_cell_data" not in tables(client):
        pytest.skip("kernel-capture tables are not in this build")
    run = client.create_run("cells")
    fp = mlm.fingerprint(pd.DataFrame({"a": [1]}))
    client.log_input(run.id, fp, "logged", "train")
    client.store.write(WriteBatch.of(Op("log_run_cell_data", {"run_id": run.id, "rows": [
        {"name": "df_out", "role": "output", "digest": "f" * 32, "kind": "pandas.DataFrame", "fingerprint": None}]})))
    got = client.get_run(run.id)
    assert [i.name for i in got.inputs] == ["logged"] and [o.name for o in got.outputs] == ["df_out"]


def test_lineage_names_the_cell_that_wrote_the_data(client: MlmClient) -> None:
    if not {"cell_records", "cell_data", "cell_sources"} <= tables(client):
        pytest.skip("kernel-capture tables are not in this build")
    df = pd.DataFrame({"a": [1, 2]})
    digest = mlm.fingerprint(df).digest
    with client.store._session() as s:  # what the kernel's capture stores after `df = load()` ran
        s.con.execute("INSERT INTO cell_sources VALUES ('src1', 'df = load()\nmore()', 18)")
        s.con.execute("INSERT INTO cell_records (id, session_id, seq, execution_count, cell_id, notebook, "
                      "source_sha256, start_time) VALUES ('rec1', 'sess', 1, 4, 'c-1', 'prep.ipynb', 'src1', 1.0)")
        s.con.execute("INSERT INTO cell_data (record_id, name, role, kind, digest, changed, rehashed) "
                      "VALUES ('rec1', 'df', 'write', 'pandas.DataFrame', ?, true, true)", [digest])
    run = client.create_run("cells", "fit")
    client.log_input(run.id, df, "features", "train")
    graph = client.lineage(run.id)
    cells = graph.of_type("cell")
    assert len(cells) == 1 and cells[0].details["notebook"] == "prep.ipynb"
    assert cells[0].label == "cell [4] in prep.ipynb: df = load()"
    assert "cell [4] in prep.ipynb: df = load() --wrote--> data features v1" in graph.text
