"""Each planted problem is found, named and explained by the scan checks (no store involved)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from mlm_jupyter.core.scan_checks import Curve, ScanInputs, ScanReport, pair_curves, run_checks
from mlm_jupyter.core.scan_checks.fitting import curve_turn
from mlm_jupyter.core.scan_checks.leakage import shared_ancestors, single_feature_power
from mlm_jupyter.core.scan_checks.stats import mcnemar, wilson
from mlm_jupyter.core.severity import severity_rank
from mlm_jupyter.tracking.scan import scan_with

from scan_planted import PLANTED, Case, clean


def _scan(case: Case, **kwargs: Any) -> ScanReport:
    return scan_with(None, case.model, case.X_test, case.y_test, train=(case.X_train, case.y_train),
                     sensitive=case.sensitive, baseline=case.baseline, progress=False, **kwargs)


@pytest.mark.parametrize("make", PLANTED, ids=lambda make: make.__name__)
def test_each_planted_problem_is_found_named_and_explained(make: Any) -> None:
    case = make(0)
    report = _scan(case)
    found = [f for f in report.findings if f.code == case.code]
    assert found, f"{case.name}: expected {case.code}, got {[f.code for f in report.findings]}"
    finding = found[0]
    assert finding.check == case.expect
    assert severity_rank(finding.severity) >= severity_rank("medium")
    assert len(finding.title) > 10 and len(finding.explanation) > 60 and len(finding.fix) > 20
    assert finding.evidence and all(e.value is None or math.isfinite(e.value) for e in finding.evidence)
    assert not report.passed_at("medium")
    assert report.check(case.expect).status("medium") == "failed"


def test_findings_carry_intervals_where_a_statistic_is_involved() -> None:
    from scan_planted import biased, miscalibrated

    bias = [f for f in _scan(biased(0)).findings if f.code == "bias.selection_rate"][0]
    ratio = next(e for e in bias.evidence if e.label == "ratio")
    assert ratio.low is not None and ratio.high is not None and ratio.low <= ratio.value <= ratio.high < 0.8
    groups = bias.details["groups"]["rows"]
    assert {g["group"] for g in groups} == {"A", "B"} and all(g["n"] > 100 for g in groups)
    calibration = _scan(miscalibrated(0), checks=["calibration"]).findings[0]
    ece = calibration.evidence[0]
    assert ece.low is not None and 0.05 < ece.low <= ece.value <= (ece.high or 0)


def test_a_clean_model_on_clean_data_has_no_high_finding() -> None:
    report = _scan(clean(3))
    assert report.passed, report.summary()
    assert {c.check for c in report.checks} == {"overfitting", "underfitting", "bias", "leakage", "fragility",
                                                "regression", "calibration", "slices"}
    assert report.check("regression").skipped  # nothing to compare with


def test_report_round_trips_through_json_and_renders_html() -> None:
    from scan_planted import biased

    report = _scan(biased(0))
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    again = ScanReport.from_dict(data)
    assert again.to_dict() == data
    assert data["verdict"] == "failed" and data["counts"]["high"] >= 1
    frame = report.to_frame()
    assert list(frame.columns[:3]) == ["check", "code", "severity"] and len(frame) == len(report.findings)
    html = report.to_html()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "http" not in html.split("<body>")[1]
    assert "selection_rate" in html and "<svg" in html and "Calibration" in html and "Slices" in html


def test_curve_turn_names_the_step() -> None:
    steps = np.arange(1, 31)
    train = 1.0 / steps
    val = 0.5 + 0.002 * (steps - 12) ** 2
    turn = curve_turn(Curve("val_loss", steps, train, steps, val, True))
    assert turn is not None and turn["best_step"] == 12
    assert curve_turn(Curve("val_loss", steps, train, steps, 1.0 / steps + 0.1, True)) is None  # still improving
    flat_train = np.full(30, 0.2)
    assert curve_turn(Curve("val_loss", steps, flat_train, steps, val, True)) is None  # training stopped improving


def test_metric_names_pair_into_train_and_validation_curves() -> None:
    pairs = pair_curves(["loss", "val_loss", "train_auc", "val_auc", "lr", "valid/acc", "train/acc"])
    assert ("loss", "val_loss", True) in pairs and ("train_auc", "val_auc", False) in pairs
    assert ("train/acc", "valid/acc", False) in pairs


def test_statistics_against_known_values() -> None:
    low, high = wilson(0, 10)
    assert low == pytest.approx(0, abs=1e-12) and 0.25 < high < 0.35  # the rule-of-three neighbourhood
    p_two, p_worse = mcnemar(2, 14)
    assert p_worse < 0.01 and p_two < 0.01
    assert mcnemar(10, 10)[0] == pytest.approx(1.0)


def test_single_feature_power_separates_a_copy_of_the_label_from_noise() -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    leak = pd.Series(y + rng.normal(0, 0.05, 2000))
    noise = pd.Series(rng.normal(size=2000))
    assert single_feature_power("binary", leak[:1000], y[:1000], leak[1000:], y[1000:], "numeric") > 0.95
    assert single_feature_power("binary", noise[:1000], y[:1000], noise[1000:], y[1000:], "numeric") < 0.1


def test_shared_transformed_ancestor_is_found_in_a_lineage_graph() -> None:
    graph = {"nodes": [{"id": "data:raw", "type": "data", "label": "raw"},
                       {"id": "run:prep", "type": "run", "label": "run prep"},
                       {"id": "data:scaled", "type": "data", "label": "scaled"},
                       {"id": "run:split", "type": "run", "label": "run split"},
                       {"id": "data:train", "type": "data"}, {"id": "data:test", "type": "data"}],
             "edges": [{"source": "data:raw", "target": "run:prep"}, {"source": "run:prep", "target": "data:scaled"},
                       {"source": "data:scaled", "target": "run:split"},
                       {"source": "run:split", "target": "data:train"}, {"source": "run:split", "target": "data:test"}]}
    shared = shared_ancestors(graph, "data:train", "data:test")
    assert [s["data"] for s in shared] == ["data:scaled"] and shared[0]["written_by"] == ["run prep"]


def test_a_check_that_breaks_is_reported_as_skipped_not_raised() -> None:
    case = clean(0)

    def broken(frame: Any) -> Any:
        raise ValueError("the pipeline cannot take this")

    inputs = ScanInputs("binary", case.X_test, case.y_test, case.model.predict(case.X_test), predict=broken)
    [result] = run_checks(inputs, ["fragility"])
    assert result.skipped and "cannot take this" in result.skipped and result.status() == "skipped"


def test_regression_task_gets_regression_metrics() -> None:
    import pandas as pd
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(3000, 4)), columns=list("abcd"))
    y = X.a * 2 - X.b + rng.normal(0, 1.0, 3000)
    Xtr, Xte, ytr, yte = X[:2000], X[2000:].reset_index(drop=True), y[:2000], y[2000:].to_numpy()
    good = scan_with(None, LinearRegression().fit(Xtr, ytr), Xte, yte, train=(Xtr, ytr), progress=False)
    assert good.task == "regression" and good.passed, good.summary()
    assert good.check("calibration").skipped
    tree = DecisionTreeRegressor(random_state=0).fit(Xtr, ytr)
    bad = scan_with(None, tree, Xte, yte, train=(Xtr, ytr), baseline=LinearRegression().fit(Xtr, ytr),
                    progress=False)
    codes = {f.code: f.severity for f in bad.findings}
    assert codes.get("overfitting.train_test_gap") == "high" and codes.get("regression.worse_than_champion") == "high"


def test_a_pipeline_with_a_text_column_is_scanned_with_text_perturbations() -> None:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(2)
    words = np.array(["refund", "late", "great", "thanks", "broken", "love", "slow", "fast", "never", "again"])
    n = 1200
    amount = rng.normal(50, 10, n)
    notes = [" ".join(rng.choice(words, 6)) + " order" for _ in range(n)]
    y = np.array([int(("broken" in t) or ("late" in t)) for t in notes])
    X = pd.DataFrame({"note": notes, "amount": amount})
    model = Pipeline([("prep", ColumnTransformer([("text", TfidfVectorizer(), "note"),
                                                  ("num", "passthrough", ["amount"])])),
                      ("clf", LogisticRegression(max_iter=1000))]).fit(X[:800], y[:800])
    report = scan_with(None, model, X[800:].reset_index(drop=True), y[800:], train=(X[:800], y[:800]),
                       progress=False)
    assert report.to_dict()["data"]["kinds"]["note"] == "text"
    perturbations = {(p["feature"], p["perturbation"]) for p in report.check("fragility").details["perturbations"]}
    assert {("note", "lowercase"), ("note", "typo"), ("amount", "noise")} <= perturbations
    assert report.check("slices").skipped is None and not report.check("underfitting").findings
