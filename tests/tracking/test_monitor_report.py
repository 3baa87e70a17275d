"""Drift and skew reports on real stores: planted drift is found and named, no drift raises no alarm."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mlm_jupyter as mlm
from mlm_jupyter.cli.main import cli
from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.tracking.client import MlmClient


def _frame(rows: int, seed: int, *, shift: float = 0.0, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 80, rows).astype("int64"),
                         "income": rng.normal(50 + shift, 10 * scale, rows),
                         "tenure": rng.random(rows),
                         "plan": rng.choice(["basic", "plus", "pro"], rows, p=[0.5, 0.3, 0.2])})


def _model() -> Any:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["plan"]),
                                                 remainder="passthrough"), LogisticRegression(max_iter=500))


@pytest.fixture
def served(client: MlmClient) -> tuple[Any, Any]:
    train = _frame(4000, 0)
    y = ((train["income"] > 50) ^ (train["plan"] == "pro")).astype("int64")
    model = _model().fit(train, y)
    with mlm.start_run(experiment="churn"):
        mlm.log_input(train, name="churn-train", role="train")
        mlm.log_metric("accuracy", 0.93)
        version = mlm.log_model(model, name="churn", input_example=train[:5])
    mlm.set_alias("churn", "production", version.version)
    return model, mlm.monitor("models:/churn@production")


def test_no_drift_no_alarm_and_every_form_of_the_report(served: tuple[Any, Any], store_dir: Path) -> None:
    model, mon = served
    batch = _frame(3000, 1)
    mon.log(batch, model.predict(batch))
    report = mon.report("1h")
    assert report.rows == 3000 and report.verdict == "ok" and not report.alarm
    assert {f.feature for f in report.features} == {"age", "income", "tenure", "plan"}
    assert {f.method for f in report.features} == {"wasserstein", "jensenshannon"}
    assert report.reference["dataset"] == "churn-train" and report.reference["rows"] == 4000
    assert report.prediction is not None and not report.prediction.drifted
    assert report.skew == ()
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["schema"] == "mlm.drift_report/1" and data["verdict"] == "ok"
    assert data["distributions"]["income"]["kind"] == "numeric" and len(data["distributions"]["income"]["edges"]) == 21
    assert mlm.DriftReport.from_dict(data).to_dict() == data
    frame = report.to_frame()
    assert list(frame["feature"]) == ["age", "income", "tenure", "plan", "__prediction"]
    page = report.to_html()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "churn v1" in page


def test_a_small_window_uses_tests_with_p_values(served: tuple[Any, Any]) -> None:
    model, mon = served
    batch = _frame(300, 2)
    mon.log(batch, model.predict(batch))
    report = mon.report("1h")
    assert {f.method for f in report.features} == {"ks", "chi2"} and not report.alarm
    assert all(f.p_value is not None and f.threshold == 0.05 for f in report.features)


def test_a_shifted_mean_and_a_changed_variance_are_named(served: tuple[Any, Any]) -> None:
    model, mon = served
    batch = _frame(3000, 3, shift=8)
    batch["tenure"] = np.clip(batch["tenure"] * 3 - 1, 0, 1)  # the spread of tenure changes
    mon.log(batch, model.predict(batch))
    report = mon.report("1h")
    assert set(report.drifted_features) == {"income", "tenure"}
    assert report.dataset_drift and report.alarm and "drift" in report.verdict
    assert report.prediction_drift


@pytest.mark.parametrize(("change", "check", "column"), [
    (lambda b: b.assign(plan=np.where(np.arange(len(b)) % 3 == 0, "enterprise", b["plan"])), "unseen_category", "plan"),
    (lambda b: b.drop(columns=["tenure"]), "missing_column", "tenure"),
    (lambda b: b.assign(age=b["age"].astype(str)), "dtype_change", "age"),
    (lambda b: b.assign(income=b["income"].where(np.arange(len(b)) % 4 != 0)), "null_rate", "income"),
    (lambda b: b.assign(income=b["income"] * 100), "out_of_range", "income"),
])
def test_each_kind_of_skew_is_detected_and_named(served: tuple[Any, Any], change: Any, check: str,
                                                 column: str) -> None:
    _, mon = served
    batch = change(_frame(2000, 4))
    mon.log(batch, np.zeros(len(batch), dtype="int64"))
    report = mon.report("1h")
    found = {(s.check, s.column) for s in report.skew if s.severity == "error"}
    assert (check, column) in found, report.skew
    assert report.skew_detected and report.alarm
    if check == "missing_column":
        assert ("signature", "tenure") in found


def test_thresholds_live_in_the_registry(served: tuple[Any, Any], client: MlmClient) -> None:
    model, mon = served
    batch = _frame(3000, 5, shift=8)
    mon.log(batch, model.predict(batch))
    first = mon.report("1h")
    assert first.drifted_features == ["income"] and not first.dataset_drift  # 1 of 4 < the default share of 1/2
    assert mlm.monitor("churn@production").report("1h", thresholds={"drift_share": 0.25}).dataset_drift
    mlm.set_monitor_thresholds("churn", wasserstein=5.0, reason="income moves every season")
    relaxed = mon.report("1h")
    assert not relaxed.drifted_features and relaxed.thresholds.wasserstein == 5.0
    assert "monitor_thresholds_set" in set(mlm.model_history("churn")["action"])
    assert mon.report("1h", thresholds={"wasserstein": 0.1}).drifted_features == ["income"]
    with pytest.raises(InvalidInputError):
        mlm.set_monitor_thresholds("churn", drift_share=-1)
    with pytest.raises(NotFoundError):
        mlm.set_monitor_thresholds("nope", drift_share=0.2)


def test_labels_arriving_late_and_out_of_order_join(served: tuple[Any, Any]) -> None:
    model, mon = served
    batch = _frame(400, 6)
    predicted = model.predict(batch)
    ids = [f"req-{i}" for i in range(400)]
    mon.log(batch, predicted, ids=ids)
    truth = predicted.copy()
    truth[:100] = 1 - truth[:100]  # the model was wrong on the first hundred
    order = np.random.default_rng(0).permutation(400)
    mon.log_labels([ids[i] for i in order[:250]], truth[order[:250]])
    mon.log_labels([ids[i] for i in order[250:]], truth[order[250:]])
    mon.log_labels(["unknown-id"], [1])  # a label for a row never logged joins nothing
    live = mon.performance("1h", every="1h")
    assert live["rows"].sum() == 400 and live["labelled"].sum() == 400
    assert float(live["accuracy"].iloc[-1]) == pytest.approx(0.75)
    assert float(live["training_accuracy"].iloc[0]) == 0.93
    mon.log_labels(ids[:100], predicted[:100])  # corrected labels: the latest per id wins
    assert float(mon.performance("1h")["accuracy"].iloc[-1]) == pytest.approx(1.0)


def test_a_range_without_summaries_is_computed_from_the_raw_logs(served: tuple[Any, Any], store_dir: Path) -> None:
    model, mon = served
    batch = _frame(1500, 7, shift=8)
    mon.log(batch, model.predict(batch))
    mon.close()
    shutil.rmtree(store_dir / "monitoring" / "summaries")
    report = mlm.monitor("churn@production").report("1h")
    assert report.rows == 1500 and "income" in report.drifted_features
    assert any("raw logs" in n for n in report.notes)


def test_no_training_data_on_record_says_what_to_do(client: MlmClient) -> None:
    train = _frame(500, 8)
    model = _model().fit(train, (train["income"] > 50).astype(int))
    mlm.log_model(model, name="bare")
    mon = mlm.monitor("models:/bare/1")
    mon.log(train, model.predict(train))
    with pytest.raises(NotFoundError, match="log_input"):
        mon.report("1h")
    report = mon.report("1h", reference=_frame(2000, 9))  # a reference passed in
    assert report.rows == 500 and not report.dataset_drift


def test_the_cli_verdict_exits_1_on_drift_and_0_when_fine(served: tuple[Any, Any], store_dir: Path) -> None:
    model, mon = served
    batch = _frame(2000, 10)
    mon.log(batch, model.predict(batch))
    mon.flush()
    runner = CliRunner()
    fine = runner.invoke(cli, ["monitor", "report", "churn@production", "--window", "1h"], obj={})
    assert fine.exit_code == 0, fine.output
    assert "OK" in fine.output
    drifted = _frame(2000, 11, shift=8)
    drifted["tenure"] = np.clip(drifted["tenure"] * 3 - 1, 0, 1)
    mon.log(drifted, model.predict(drifted))
    mon.flush()
    out = runner.invoke(cli, ["monitor", "report", "churn@production", "--window", "1h", "--json"], obj={})
    assert out.exit_code == 1, out.output
    assert json.loads(out.output)["drifted_features"] == ["income", "tenure"]
    listed = runner.invoke(cli, ["monitor", "ls", "--json"], obj={})
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["rows"] == 4000
    missing = runner.invoke(cli, ["monitor", "report", "nope@production"], obj={})
    assert missing.exit_code == 2 and "nope" in missing.output


def test_drift_over_time_finds_the_hour_the_stream_drifted(served: tuple[Any, Any]) -> None:
    import datetime as dt

    model, mon = served
    hour = dt.datetime(2026, 11, 30, 12, tzinfo=dt.timezone.utc)
    for offset, shift in ((0, 0.0), (1, 0.0), (3, 15.0)):  # hour 2 has no logs at all
        batch = _frame(2000, 10 + offset, shift=shift)
        mon.log(batch, model.predict(batch), at=hour + dt.timedelta(hours=offset, minutes=20))
    history = mon.drift_history("4h", "1h", end=hour + dt.timedelta(hours=4))
    assert list(history["start"]) == [hour + dt.timedelta(hours=h) for h in range(4)]
    assert list(history["rows"]) == [2000, 2000, 0, 2000]
    assert list(history["verdict"])[:3] == ["ok", "ok", "no data"]
    assert history["alarm"].tolist() == [False, False, False, True]
    assert "income" in history["drifted_features"].iloc[3] and pd.isna(history["drift_share"].iloc[2])
    # one report over the same hour says the same as its period
    assert mon.report("1h", end=hour + dt.timedelta(hours=4)).drifted_features == history["drifted_features"].iloc[3]
    with pytest.raises(InvalidInputError, match="at most"):
        mon.drift_history("365d", "1m")
    with pytest.raises(InvalidInputError, match="at must be"):
        mon.log(_frame(3, 1), [0, 1, 0], at="yesterday")


def test_nan_inf_empty_columns_unicode_names_and_empty_batches_give_a_clean_report(client: MlmClient) -> None:
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"größe": rng.normal(size=3000), "empty": rng.normal(size=3000), "标签": rng.choice(["a", "b"], 3000)})
    from sklearn.dummy import DummyClassifier

    with mlm.start_run():
        mlm.log_input(train, name="odd-train", role="train")
        version = mlm.log_model(DummyClassifier().fit(train[["größe"]], np.zeros(3000)), name="odd",
                                input_example=train[:3])
    mon = mlm.monitor(f"models:/odd/{version.version}")
    serve = pd.DataFrame({"größe": rng.normal(size=2000), "empty": [None] * 2000, "标签": rng.choice(["a", "b"], 2000)})
    serve.loc[:9, "größe"] = [np.nan, np.inf, -np.inf] + [np.nan] * 7
    assert mon.log(serve[:0], np.zeros(0)) == 0  # an empty batch is fine
    mon.log(serve, np.zeros(2000))
    report = mon.report("1h")
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))  # every number finite or null
    assert data["rows"] == 2000
    checks = {(s["check"], s["column"]) for s in data["skew"]}
    assert ("null_rate", "empty") in checks  # a column gone all-null is named
    assert not any(f["feature"] == "标签" and f["drifted"] for f in data["features"])
    mon.close()
