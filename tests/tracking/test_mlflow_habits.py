"""What an MLflow user tries on the fluent API and the client works, or fails clearly without losing a run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, MlmError, ParamTooLargeError
from mlm_jupyter.tracking.client import MlmClient


def test_run_name_is_mlflows_spelling_of_name(client: MlmClient) -> None:
    with mlm.start_run(run_name="rn", provenance=False) as run:
        pass
    assert mlm.get_run(run.id).name == "rn" and run.info.run_name == "rn"
    with pytest.raises(InvalidInputError, match="run name once"):
        mlm.start_run(name="a", run_name="b")


def test_a_bad_end_status_keeps_the_run_active(client: MlmClient) -> None:
    run = mlm.start_run(provenance=False)
    with pytest.raises(InvalidInputError, match="finished, failed or killed"):
        mlm.end_run(status="weird")
    assert mlm.active_run() is not None and mlm.active_run().id == run.id
    mlm.end_run(status="FINISHED")
    assert mlm.get_run(run.id).status == "finished" and mlm.active_run() is None


def test_client_end_run_refuses_a_bad_status_before_writing(client: MlmClient) -> None:
    run = client.create_run("e", "r")
    with pytest.raises(InvalidInputError):
        client.end_run(run.id, "done")
    assert client.get_run(run.id).status == "running"


def test_get_experiment_by_name(client: MlmClient) -> None:
    experiment_id = client.create_experiment("churn")
    found = client.get_experiment_by_name("churn")
    assert found is not None and found.id == experiment_id
    assert client.get_experiment_by_name("nope") is None


def test_log_batch_takes_mappings_or_mlflow_like_items(client: MlmClient) -> None:
    run = client.create_run("e", "batch")
    client.log_batch(run.id, metrics={"loss": 0.5}, params={"lr": 0.1}, tags={"stage": "a"})
    client.log_batch(run.id, metrics=[SimpleNamespace(key="acc", value=0.9, step=7, timestamp=1_700_000_000_000)],
                     params=[SimpleNamespace(key="depth", value=3)], tags=[SimpleNamespace(key="t", value="v")])
    stored = client.get_run(run.id)
    assert stored.params == {"lr": "0.1", "depth": "3"} and stored.tags == {"stage": "a", "t": "v"}
    assert stored.metrics == {"loss": 0.5, "acc": 0.9}
    history = client.get_metric_history(run.id, "acc")
    assert history["step"].tolist() == [7] and history["time"][0].year == 2023


def test_a_fractional_step_is_refused_not_truncated(client: MlmClient) -> None:
    with mlm.start_run(provenance=False) as run:
        with pytest.raises(InvalidInputError, match="integer"):
            mlm.log_metric("x", 1.0, step=1.5)
        mlm.log_metric("x", 2.0, step=2.0)
    assert mlm.get_metric_history(run.id, "x")["step"].tolist() == [2]


def test_a_too_large_tag_says_tag(client: MlmClient) -> None:
    with mlm.start_run(provenance=False), pytest.raises(ParamTooLargeError, match="^tag 'note'") as caught:
        mlm.set_tag("note", "x" * 70_000)
    assert isinstance(caught.value, MlmError)


def test_mlflow_millisecond_timestamps_are_read_as_milliseconds(client: MlmClient) -> None:
    run = client.create_run("e", "ms")
    client.log_metric(run.id, "x", 1.0, step=0, timestamp=1_700_000_000_000)  # MLflow's unit
    client.log_metric(run.id, "x", 2.0, step=1, timestamp=1_700_000_001.5)  # ours: seconds
    times = client.get_metric_history(run.id, "x")["time"].tolist()
    assert [t.timestamp() for t in times] == [1_700_000_000.0, 1_700_000_001.5]
    with pytest.raises(InvalidInputError, match="epoch seconds"):
        client.log_metric(run.id, "x", 3.0, timestamp="yesterday")
