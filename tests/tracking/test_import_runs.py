"""The public batch path: whole runs stored in bulk, searchable at once, never overwritten."""

from __future__ import annotations

import pytest

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.tracking.client import MlmClient


def test_imported_runs_are_stored_whole_and_searchable(client: MlmClient) -> None:
    runs = [{"run_id": f"imp{i:03d}", "experiment": "imported", "name": f"r{i}", "status": "finished",
             "start_time": 1_700_000_000 + i, "end_time": 1_700_000_100 + i,
             "params": {"lr": 0.1 * i, "depth": i}, "tags": {"origin": "mlflow"},
             "metrics": {"acc": 0.5 + i / 100, "loss": [(0, 1.0, 1_700_000_001), (5, 0.1 * i, 1_700_000_002)]}}
            for i in range(20)]
    result = client.import_runs(runs, batch_size=7)  # three batches
    assert result == {"imported": [r["run_id"] for r in runs], "skipped": []}
    frame = client.search_runs("params.depth >= 10 and metrics.loss < 2.5 and tags.origin = 'mlflow'",
                               experiment="imported", order_by=["params.depth desc"])
    assert frame["run_id"].tolist() == [f"imp{i:03d}" for i in range(19, 9, -1)]
    run = client.get_run("imp007")
    assert run.params == {"lr": str(0.1 * 7), "depth": "7"} and run.status == "finished"
    assert run.metrics == {"acc": pytest.approx(0.57), "loss": pytest.approx(0.7)}
    assert client.get_metric_history("imp007", "loss")["step"].tolist() == [0, 5]


def test_importing_a_stored_run_again_changes_nothing_and_says_so(client: MlmClient) -> None:
    client.import_runs([{"run_id": "same", "params": {"lr": 1}, "metrics": {"m": 1.0}}])
    result = client.import_runs([{"run_id": "same", "params": {"lr": 2}}, {"run_id": "other"}])
    assert result == {"imported": ["other"], "skipped": ["same"]}
    assert client.get_run("same").params == {"lr": "1"}  # params stay immutable


def test_bad_runs_are_refused_before_anything_is_stored(client: MlmClient) -> None:
    with pytest.raises(InvalidInputError):
        client.import_runs([{"run_id": "ok"}, {"run_id": "bad", "status": "exploded"}])
    with pytest.raises(InvalidInputError):
        client.import_runs([{"run_id": "bad2", "params": {"bad key\n": 1}}])
    assert client.search_runs().empty
