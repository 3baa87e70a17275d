"""The scan report widget: it shows the report, and its promote button is blocked by a failing scan."""

from __future__ import annotations

from scan_planted import clean, constant

import mlm_jupyter as mlm
from mlm_jupyter.widgets.scan import ScanPanel


def _click(panel: ScanPanel, **args: object) -> None:
    """What the front end sends when its promote button is clicked."""
    panel._dispatch(panel, {"rpc": 1, "method": "promote", "args": args}, [])


def test_the_widget_shows_the_report_and_promotes_only_a_passing_version(client) -> None:
    good, bad = clean(0), constant(0)
    with mlm.start_run():
        mlm.log_model(bad.model, "churn")
    with mlm.start_run():
        mlm.log_model(good.model, "churn")
    mlm.set_promotion_rule("churn", "scan_passed", severity="high")
    failing = mlm.scan("models:/churn/1", bad.X_test, bad.y_test, checks=["underfitting", "calibration"],
                       progress=False)
    panel = mlm.scan_view(failing)
    assert panel.target == {"name": "churn", "version": 1}
    assert panel.view == "scan" and panel.report["verdict"] == "failed"
    assert panel.report["checks"][0]["findings"][0]["code"] == "underfitting.no_better_than_baseline"
    bundle = panel._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "scan failed" in data["text/plain"] and "Findings" in data["text/html"]
    assert "<script" not in data["text/html"]

    _click(panel, alias="production", reason="")
    assert panel.message["kind"] == "error" and "reason" in panel.message["text"]
    assert panel.promote("production", reason="ship it") is None
    assert panel.message["kind"] == "error" and "underfitting (high)" in panel.message["text"]

    passing = mlm.scan("models:/churn/2", good.X_test, good.y_test, checks=["underfitting", "calibration"],
                       progress=False)
    fixed = mlm.scan_view("models:/churn/2")
    assert fixed.report["id"] == passing.id
    _click(fixed, alias="production", reason="passes its scan")
    assert fixed.message == {"kind": "ok", "text": "churn@production now points at v2"}
    assert mlm.get_model_version("churn", alias="production").version == 2
