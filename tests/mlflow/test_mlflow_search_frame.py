"""``mlm_jupyter.mlflow.search_runs``' DataFrame: MLflow's columns, built from our search in one step.

The expected frame is derived from the native ``mlm.search_runs`` frame with plain pandas steps, which is
how the layer built it before it shaped the columns in Arrow.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import mlm_jupyter as mlm
import mlm_jupyter.mlflow as mlflow
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.tracking.client import MlmClient


def _expected(native: pd.DataFrame, client: MlmClient) -> pd.DataFrame:
    ids = {e.name: e.id for e in client.experiments()}
    out = pd.DataFrame({
        "run_id": native["run_id"], "experiment_id": native["experiment"].map(ids),
        "status": native["status"].str.upper(), "artifact_uri": "runs:/" + native["run_id"],
        "start_time": native["start_time"], "end_time": native["end_time"],
    })
    extra = [c for c in native.columns if c.startswith(("metrics.", "params.", "tags."))]
    out = pd.concat([out, native[extra]], axis=1)
    if "tags.mlflow.runName" not in out.columns:
        out["tags.mlflow.runName"] = native["name"]
    if "tags.mlflow.user" not in out.columns:
        out["tags.mlflow.user"] = native["user"]
    return out


def _sweep() -> None:
    for experiment in ("churn", "fraud"):
        mlflow.set_experiment(experiment)
        for i in range(4):
            with mlflow.start_run(run_name=f"{experiment}-{i}"):
                mlflow.log_params({"lr": i / 10, "depth": i % 2, "é": "ü"})
                mlflow.log_metrics({"auc": i / 4, "loss": math.nan if i == 3 else 1 - i / 4})
                if i == 2:
                    mlflow.set_tag("team", "risk")
    with mlflow.start_run(run_name="failed") as run:
        mlflow.log_param("lr", "0.5")
    mlflow.MlflowClient().set_terminated(run.info.run_id, status="FAILED")


@pytest.mark.parametrize("query", ["", "params.depth = '1'", "metrics.auc > 0.3", "tags.team = 'risk'",
                                   "params.lr = 'nothing'"])
def test_the_frame_has_mlflows_columns_and_our_values(store: MlmClient, query: str) -> None:
    _sweep()
    got = mlflow.search_runs(filter_string=query, search_all_experiments=True)
    expected = _expected(mlm.search_runs(query or None), store)
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs["total"] == len(expected)


def test_one_experiment_by_id_and_an_empty_result_keep_the_columns(store: MlmClient) -> None:
    _sweep()
    fraud = mlflow.get_experiment_by_name("fraud").experiment_id
    got = mlflow.search_runs(experiment_ids=[fraud])
    assert set(got["experiment_id"]) == {fraud} and len(got) == 5  # the failed run is fraud's too (active)
    assert sorted(got["status"].unique()) == ["FAILED", "FINISHED"]
    none = mlflow.search_runs(experiment_ids=[fraud], filter_string="params.lr = 'nothing'")
    assert list(none.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert len(none) == 0


def test_the_native_table_is_the_frame_before_pandas(store: MlmClient) -> None:
    _sweep()
    table = store.search_runs_table("metrics.auc >= 0.5", order_by="metrics.auc desc", max_results=3)
    frame = mlm.search_runs("metrics.auc >= 0.5", order_by="metrics.auc desc", max_results=3)
    pd.testing.assert_frame_equal(table.to_pandas(), frame)
    assert int(table.schema.metadata[b"total"]) == frame.attrs["total"] == 4


def test_experiment_ids_names_every_experiment_without_counting_runs(store: MlmClient) -> None:
    _sweep()
    assert store.experiment_ids() == {e.name: e.id for e in store.experiments()}
    assert mlflow.get_experiment_by_name("churn").experiment_id == store.experiment_ids()["churn"]


def test_a_server_without_the_names_read_still_names_the_experiments(store: MlmClient, monkeypatch) -> None:
    _sweep()
    read = store.store.read

    def older_server(query: str, **args):
        if query == "experiment_names":
            raise InvalidInputError("unknown store read 'experiment_names'")
        return read(query, **args)

    monkeypatch.setattr(store.store, "read", older_server)
    assert store.experiment_ids() == {e.name: e.id for e in store.experiments()}
    assert len(mlflow.search_runs(search_all_experiments=True)) == 9
