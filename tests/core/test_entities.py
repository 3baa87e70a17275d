"""Run entities: MLflow's ``run.info`` and ``run.data`` views over the same facts."""

from __future__ import annotations

from datetime import datetime, timezone

from mlm_jupyter.core.entities import Run


def _run() -> Run:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Run(id="abc", name="rf", experiment="churn", status="finished", start_time=start, end_time=start,
               params={"depth": "8"}, metrics={"auc": 0.9}, tags={"stage": "x"}, user="ana", parent_run_id="p")


def test_info_holds_identity_and_lifecycle_under_mlflow_names() -> None:
    run = _run()
    assert run.info.run_id == run.info.run_uuid == run.run_id == "abc"
    assert run.info.run_name == "rf" and run.info.experiment == "churn"
    assert run.info.status == "finished" and run.info.user_id == "ana" and run.info.parent_run_id == "p"
    assert run.info.start_time == run.start_time and run.info.end_time == run.end_time


def test_data_holds_params_latest_metrics_and_tags() -> None:
    run = _run()
    assert run.data.params == {"depth": "8"}
    assert run.data.metrics == {"auc": 0.9}
    assert run.data.tags == {"stage": "x"}
