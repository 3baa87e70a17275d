"""mlm.scan with a store: reports kept with the run and the version, the scan gate, curves from the run's history."""

from __future__ import annotations

import numpy as np
import pytest
from scan_planted import clean, constant, overfit

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import InvalidInputError, NotFoundError, PromotionBlockedError
from mlm_jupyter.tracking.client import MlmClient


def test_a_scan_in_a_run_is_stored_with_the_run_and_gates_its_version(client: MlmClient) -> None:
    bad = constant(0)
    with mlm.start_run(experiment="scan") as run:
        report = mlm.scan(bad.model, bad.X_test, bad.y_test, train=(bad.X_train, bad.y_train), progress=False)
        version = mlm.log_model(bad.model, "churn").version
    assert report.run_id == run.id and not report.passed
    stored = mlm.scan_reports(run_id=run.id)
    assert list(stored["id"]) == [report.id] and stored["verdict"][0] == "failed"
    again = mlm.get_scan(report.id)
    assert again.to_dict() == report.to_dict()
    rows = client.sql("SELECT name, status, severity FROM check_results WHERE run_id = ? ORDER BY name", run.id)
    assert dict(zip(rows["name"], rows["status"]))["underfitting"] == "failed"
    assert len(rows) == 8

    mlm.set_promotion_rule("churn", "scan_passed", severity="high")
    with pytest.raises(PromotionBlockedError) as blocked:
        mlm.set_alias("churn", "production", version)
    assert "underfitting (high)" in str(blocked.value)
    history = mlm.model_history("churn")
    assert history["action"].iloc[-1] == "promotion_blocked"


def test_scanning_a_registered_version_stores_it_with_the_version_and_compares_with_production(
        client: MlmClient) -> None:
    good, bad = clean(0), constant(0)
    with mlm.start_run():
        v1 = mlm.log_model(good.model, "churn").version
    with mlm.start_run():
        v2 = mlm.log_model(bad.model, "churn").version
    mlm.set_promotion_rule("churn", mlm.PromotionRule.scan_passed("high"))
    first = mlm.scan(f"models:/churn/{v1}", good.X_test, good.y_test, sensitive=["group"], progress=False)
    assert first.passed and first.model["version"] == v1
    mlm.set_alias("churn", "production", v1)
    second = mlm.scan(f"models:/churn/{v2}", bad.X_test, bad.y_test, progress=False)
    regression = second.check("regression")
    assert regression.findings and "churn@production (v1)" in regression.findings[0].title
    with pytest.raises(PromotionBlockedError):
        mlm.set_alias("churn", "production", v2)
    assert mlm.get_scan(f"models:/churn/{v2}").id == second.id
    verdicts = client.store.read("model_scans", name="churn")
    assert [(v["version"], v["scan"]["verdict"]) for v in verdicts] == [(1, "passed"), (2, "failed")]
    # the fixed model: a new version that passes the gate
    with mlm.start_run():
        v3 = mlm.log_model(clean(1).model, "churn").version
    fixed = mlm.scan(f"models:/churn/{v3}", good.X_test, good.y_test, progress=False)
    assert fixed.passed, fixed.summary()
    assert mlm.set_alias("churn", "production", v3).version == v3


def test_a_version_never_scanned_is_blocked_by_the_scan_rule(client: MlmClient) -> None:
    with mlm.start_run():
        version = mlm.log_model(clean(0).model, "churn").version
    mlm.set_promotion_rule("churn", "scan_passed")
    with pytest.raises(PromotionBlockedError, match="has no model scan"):
        mlm.set_alias("churn", "production", version)
    with pytest.raises(NotFoundError, match="never scanned"):
        mlm.get_scan(f"models:/churn/{version}")


def test_the_run_history_curve_that_turns_is_named_with_its_step(client: MlmClient) -> None:
    case = overfit(0)
    with mlm.start_run() as run:
        for step in range(1, 31):
            mlm.log_metrics({"train_loss": 1.0 / step, "val_loss": 0.5 + 0.002 * (step - 17) ** 2}, step=step)
        report = mlm.scan(case.model, case.X_test, case.y_test, train=(case.X_train, case.y_train),
                          checks=["overfitting"], progress=False)
    turn = [f for f in report.findings if f.code == "overfitting.curve_turn"]
    assert turn and "step 17" in turn[0].title and f"history of run {run.id[:8]}" in turn[0].explanation
    assert any(f.code == "overfitting.train_test_gap" for f in report.findings)


def test_leakage_uses_the_logged_row_sketches(client: MlmClient) -> None:
    from scan_planted import duplicated

    case = duplicated(0)
    with mlm.start_run():
        mlm.log_input(case.X_train.assign(y=case.y_train), name="train", role="train", rows=True)
        mlm.log_input(case.X_test.assign(y=case.y_test), name="test", role="test", rows=True)
        report = mlm.scan(case.model, case.X_test, case.y_test, train=(case.X_train, case.y_train),
                          checks=["leakage"], progress=False)
    shared = [f for f in report.findings if f.code == "leakage.shared_rows"][0]
    sketch = [e for e in shared.evidence if "row sketches" in e.label]
    assert sketch and sketch[0].value == pytest.approx(450 / 1500, abs=0.02)


def test_careless_calls_get_clear_errors(client: MlmClient) -> None:
    case = clean(0)
    with pytest.raises(InvalidInputError, match="not a column"):
        mlm.scan(case.model, case.X_test, case.y_test, sensitive=["gender"], progress=False)
    with pytest.raises(InvalidInputError, match="rows but y_test has"):
        mlm.scan(case.model, case.X_test, case.y_test[:10], progress=False)
    with pytest.raises(InvalidInputError, match="no predict method"):
        mlm.scan(object(), case.X_test, case.y_test, progress=False)
    with pytest.raises(InvalidInputError, match="unknown check"):
        mlm.scan(case.model, case.X_test, case.y_test, checks=["vibes"], progress=False)
    with pytest.raises(InvalidInputError, match="unknown severity"):
        mlm.scan(case.model, case.X_test, case.y_test, fail_on="critical", progress=False)
    with pytest.raises(InvalidInputError, match="predict failed"):
        mlm.scan(case.model, case.X_test.drop(columns=["f0"]), case.y_test, progress=False)
    with pytest.raises(InvalidInputError, match="one value per test row"):
        mlm.scan(case.model, case.X_test, case.y_test, sensitive={"g": np.zeros(3)}, progress=False)
    with pytest.raises(NotFoundError):
        mlm.scan("models:/nope/1", case.X_test, case.y_test, progress=False)
    assert mlm.scan_reports().empty  # nothing half-stored
