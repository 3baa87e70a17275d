"""The fluent API as a user calls it: start_run, log_*, get_run, search_runs, get_metric_history."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_a_run_records_params_metrics_tags_and_ends_finished(client: MlmClient) -> None:
    with mlm.start_run(experiment="churn", name="rf-baseline") as run:
        assert mlm.active_run().id == run.id
        mlm.log_param("n_estimators", 200)
        mlm.log_params({"max_depth": 8, "criterion": "gini"})
        mlm.log_metric("val_auc", 0.91, step=3)
        mlm.log_metrics({"loss": 0.2, "acc": 0.93}, step=3)
        mlm.set_tag("stage", "baseline")
    assert mlm.active_run() is None
    stored = mlm.get_run(run.id)
    assert stored.status == "finished" and stored.end_time is not None
    assert stored.experiment == "churn" and stored.name == "rf-baseline"
    assert stored.params == {"n_estimators": "200", "max_depth": "8", "criterion": "gini"}
    assert stored.metrics == {"val_auc": 0.91, "loss": 0.2, "acc": 0.93}
    assert stored.tags == {"stage": "baseline"}


def test_an_exception_marks_the_run_failed_and_propagates(client: MlmClient) -> None:
    with pytest.raises(ZeroDivisionError):
        with mlm.start_run(name="boom") as run:
            1 / 0
    stored = mlm.get_run(run.id)
    assert stored.status == "failed"
    assert "ZeroDivisionError" in (stored.status_reason or "")


def test_end_run_with_a_status(client: MlmClient) -> None:
    run = mlm.start_run()
    mlm.end_run(status="killed")
    assert mlm.get_run(run.id).status == "killed"


def test_nested_runs_need_nested_true_and_record_the_parent(client: MlmClient) -> None:
    with mlm.start_run(name="parent") as parent:
        with pytest.raises(mlm.MlmError, match="still active"):
            mlm.start_run()
        with mlm.start_run(name="child", nested=True) as child:
            pass
    assert mlm.get_run(child.id).parent_run_id == parent.id


def test_a_child_run_stays_in_its_parents_experiment_unless_told_otherwise(client: MlmClient) -> None:
    with mlm.start_run(experiment="tuning", name="sweep"):
        with mlm.start_run(name="trial-1", nested=True) as inherited:
            pass
        with mlm.start_run(experiment="elsewhere", name="trial-2", nested=True) as explicit:
            pass
    assert mlm.get_run(inherited.id).experiment == "tuning"
    assert mlm.get_run(explicit.id).experiment == "elsewhere"
    assert sorted(mlm.search_runs(experiment="tuning")["name"]) == ["sweep", "trial-1"]


def test_metric_steps_auto_increment_per_key(client: MlmClient) -> None:
    with mlm.start_run() as run:
        for value in (0.5, 0.4, 0.3):
            mlm.log_metric("loss", value)
    history = mlm.get_metric_history(run.id, "loss")
    assert list(history.columns) == ["step", "value", "time"]
    assert history["step"].tolist() == [0, 1, 2]
    assert history["value"].tolist() == [0.5, 0.4, 0.3]
    assert str(history["time"].dtype).startswith("datetime64")


def test_thousands_of_metrics_are_all_stored_after_end_run(client: MlmClient) -> None:
    with mlm.start_run() as run:
        for step in range(20_000):
            mlm.log_metric("x", step * 0.5, step=step)
    history = mlm.get_metric_history(run.id, "x")
    assert len(history) == 20_000 and history["value"].iloc[-1] == 19_999 * 0.5


def test_nan_and_inf_metrics_round_trip(client: MlmClient) -> None:
    with mlm.start_run() as run:
        mlm.log_metric("nan", float("nan"))
        mlm.log_metric("inf", math.inf)
        mlm.log_metric("ninf", -math.inf)
    metrics = mlm.get_run(run.id).metrics
    assert math.isnan(metrics["nan"]) and metrics["inf"] == math.inf and metrics["ninf"] == -math.inf


def test_numpy_scalars_are_accepted_as_metrics(client: MlmClient) -> None:
    import numpy as np

    with mlm.start_run() as run:
        mlm.log_metric("np", np.float32(0.25))
        mlm.log_metric("int", np.int64(3))
    assert mlm.get_run(run.id).metrics == {"np": 0.25, "int": 3.0}


def test_artifacts_are_content_addressed(client: MlmClient, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("accuracy 0.93", encoding="utf-8")
    with mlm.start_run() as run:
        (sha,) = mlm.log_artifact(report)
        mlm.log_artifact(report, artifact_path="copies")
    stored = mlm.get_run(run.id)
    assert [(a.path, a.sha256) for a in stored.artifacts] == [("copies/report.txt", sha), ("report.txt", sha)]
    out = client.download_artifact(run.id, "report.txt", tmp_path / "out.txt")
    assert out.read_text(encoding="utf-8") == "accuracy 0.93"


def test_unicode_and_large_params(client: MlmClient) -> None:
    with mlm.start_run() as run:
        mlm.log_param("modèle", "forêt aléatoire 🌲")
        mlm.log_param("layers", [64, 32])
        mlm.log_param("big", "x" * 60_000)
    params = mlm.get_run(run.id).params
    assert params["modèle"] == "forêt aléatoire 🌲" and params["layers"] == "[64, 32]"
    assert len(params["big"]) == 60_000


def test_search_runs_returns_one_row_per_run_like_mlflow(client: MlmClient) -> None:
    for depth, auc in ((4, 0.85), (8, 0.92), (16, 0.95)):
        with mlm.start_run(experiment="churn", name=f"d{depth}"):
            mlm.log_params({"max_depth": depth})
            mlm.log_metric("val_auc", auc)
            mlm.set_tag("stage", "baseline" if depth == 4 else "tuned")
    with mlm.start_run(experiment="other"):
        mlm.log_metric("val_auc", 0.99)
    frame = mlm.search_runs("metrics.val_auc > 0.9 and (params.max_depth = 8 or tags.stage = 'baseline')",
                            experiment="churn", order_by=["metrics.val_auc desc"])
    assert isinstance(frame, pd.DataFrame)
    assert frame["name"].tolist() == ["d8"]
    for column in ("run_id", "experiment", "name", "status", "start_time", "end_time",
                   "params.max_depth", "metrics.val_auc", "tags.stage"):
        assert column in frame.columns
    ordered = mlm.search_runs(experiment="churn", order_by=["metrics.val_auc desc"])
    assert ordered["name"].tolist() == ["d16", "d8", "d4"]
    assert mlm.search_runs(experiment="churn", max_results=2).shape[0] == 2
    assert mlm.search_runs("params.max_depth > 5", experiment="churn").shape[0] == 2
    assert mlm.search_runs("not attributes.status in ('running')").shape[0] == 4


def test_search_runs_on_an_empty_store(client: MlmClient) -> None:
    frame = mlm.search_runs()
    assert frame.empty and "run_id" in frame.columns


def test_long_histories_are_downsampled_in_the_store_keeping_spikes(client: MlmClient) -> None:
    import numpy as np

    values = np.sin(np.linspace(0, 20, 100_000))
    values[54_321] = 50.0  # a spike the downsampled curve must keep
    with mlm.start_run() as run:
        client.log_metric_batch(run.id, "signal", values)
    sampled = client.get_metric_history(run.id, "signal", max_points=1_000)
    assert len(sampled) <= 1_000 and sampled.attrs["count"] == 100_000
    assert sampled["value"].max() == 50.0 and sampled["value"].min() == values.min()
    assert sampled["step"].is_monotonic_increasing
    assert sampled["step"].iloc[0] == 0 and sampled["step"].iloc[-1] == 99_999
    short = client.get_metric_history(run.id, "signal", max_points=200_000)
    assert len(short) == 100_000


def test_downsampling_honours_tiny_limits(client: MlmClient) -> None:
    with mlm.start_run() as run:
        client.log_metric_batch(run.id, "x", list(range(100)))
    for limit in (1, 2, 3, 4, 5):
        assert 1 <= len(client.get_metric_history(run.id, "x", max_points=limit)) <= limit


def test_runs_record_git_and_environment_provenance(client: MlmClient, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    for command in (["git", "init", "-q", "-b", "main"], ["git", "config", "user.email", "t@example.org"],
                    ["git", "config", "user.name", "t"]):
        subprocess.run(command, cwd=repo, check=True)
    (repo / "train.py").write_text("print('v1')\n", encoding="utf-8")
    subprocess.run(["git", "add", "."], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "first"], cwd=repo, check=True)
    (repo / "train.py").write_text("print('v2, uncommitted')\n", encoding="utf-8")
    monkeypatch.chdir(repo)
    with mlm.start_run() as run:
        pass
    provenance = mlm.get_run(run.id).provenance
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert provenance["commit"] == head and provenance["branch"] == "main" and provenance["dirty"] is True
    assert provenance["environment"]["python"]


def test_explicit_client_with_mlflow_style_calls(client: MlmClient) -> None:
    run = client.create_run("explicit", "by-id")
    client.log_param(run.id, "alpha", 0.5)
    client.log_metric(run.id, "loss", 0.25, step=7)
    client.set_tag(run.id, "owner", "team-a")
    client.set_terminated(run.id, "FINISHED")
    stored = client.get_run(run.id)
    assert (stored.status, stored.params, stored.metrics, stored.tags) == (
        "finished", {"alpha": "0.5"}, {"loss": 0.25}, {"owner": "team-a"})
    assert [e.name for e in client.experiments()] == ["explicit"]


def test_an_interrupt_marks_the_run_killed(client: MlmClient) -> None:
    with pytest.raises(KeyboardInterrupt):
        with mlm.start_run(name="stopped") as run:
            raise KeyboardInterrupt
    assert mlm.get_run(run.id).status == "killed"
