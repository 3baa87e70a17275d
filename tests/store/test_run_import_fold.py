"""Queued short runs stored in bulk (issue 16): their provenance goes in one set-wise op, nothing lost."""

from __future__ import annotations

from pathlib import Path

import mlm_jupyter as mlm
from mlm_jupyter.store.contract import Op
from mlm_jupyter.store.domains.run_import import fold
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient


def test_a_loop_of_short_runs_keeps_every_runs_provenance(store_dir: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    client = MlmClient(store_dir)
    fluent.set_client(client)
    try:
        ids = []
        for i in range(40):
            with mlm.start_run(experiment="sweep") as run:
                mlm.log_params({f"p{j}": i + j for j in range(20)})
                mlm.log_metrics({f"m{j}": j / 10 for j in range(5)})
            ids.append(run.id)
        fluent._wait_for_provenance()
        client.flush()
        for run_id in ids:
            run = client.get_run(run_id)
            assert run.status == "finished" and run.params["p19"] == str(int(run.params["p0"]) + 19)
            assert run.provenance.get("environment_digest"), run.provenance
        digest = client.get_run(ids[0]).provenance["environment_digest"]
        assert "duckdb" in client.environment(digest)["packages"]
    finally:
        fluent.set_client(None)
        client.close()


def test_fold_groups_the_fresh_runs_provenance_and_keeps_the_last_record() -> None:
    env = {"digest": "d1", "python": "3.11", "platform": "linux", "packages": {"x": "1"}}
    ops = [Op("create_run", {"run_id": "a", "experiment": "e", "name": "a", "start_time": 1.0}),
           Op("log_provenance", {"run_id": "a", "git": {"commit": "c1"}, "environment": env}),
           Op("log_provenance", {"run_id": "old", "git": {}, "environment": env}),  # not created here: kept as is
           Op("log_provenance", {"run_id": "a", "git": {"commit": "c2"}, "environment": env}),
           Op("end_run", {"run_id": "a", "status": "finished", "end_time": 2.0})]
    folded = fold(ops)
    assert [op.kind for op in folded] == ["import_runs", "log_provenances", "log_provenance"]
    assert [item["git"]["commit"] for item in folded[1].args["items"]] == ["c1", "c2"]
    assert folded[2].args["run_id"] == "old"


def test_the_bulk_provenance_op_stores_the_last_record_per_run(store_dir: Path) -> None:
    from mlm_jupyter.store.contract import WriteBatch

    client = MlmClient(store_dir)
    try:
        env = {"digest": "d1", "python": "3.11", "implementation": "CPython", "platform": "linux",
               "packages": {"x": "1"}}
        ops = [Op("create_run", {"run_id": "a", "experiment": "e", "name": "a", "start_time": 1.0}),
               Op("log_provenance", {"run_id": "a", "git": {"commit": "c1"}, "environment": env}),
               Op("log_provenance", {"run_id": "a", "git": {"commit": "c2", "dirty": True}, "environment": env}),
               Op("end_run", {"run_id": "a", "status": "finished", "end_time": 2.0})]
        client.store.write(WriteBatch(tuple(fold(ops))))
        run = client.get_run("a")
        assert run.provenance["git"]["commit"] == "c2" and run.provenance["git"]["dirty"] is True
        assert client.environment("d1")["packages"] == {"x": "1"}
    finally:
        client.close()
