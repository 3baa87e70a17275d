"""The scan routes of the REST API: each version's verdict for the sidebar, and one version's full report."""

from __future__ import annotations

from typing import Any

from scan_planted import clean, constant

from mlm_jupyter.tracking.scan import scan_with


def _seed(mlm_app: Any) -> None:
    client = mlm_app.context.client
    good, bad = clean(0), constant(0)
    for case in (good, bad, good):
        run = client.create_run("churn")
        client.log_model(run.id, case.model, "churn")
        client.end_run(run.id)
    scan_with(client, "models:/churn/1", good.X_test, good.y_test, checks=["underfitting", "calibration"],
              progress=False)
    client.set_alias("churn", "production", 1)
    scan_with(client, "models:/churn/2", bad.X_test, bad.y_test, checks=["underfitting", "regression"],
              progress=False)


async def test_scan_verdicts_reports_and_404s(api: Any, mlm_app: Any) -> None:
    """One seeded store (logging three versions and scanning two is the slow part), every scan route."""
    _seed(mlm_app)
    status, body = await api("models", "churn", "scans")
    assert status == 200, body
    verdicts = {v["version"]: (v["scan"] or {}).get("verdict") for v in body["versions"]}
    assert verdicts == {1: "passed", 2: "failed", 3: None}
    failing = body["versions"][1]["scan"]
    assert failing["worst_severity"] == "high"
    assert {c["name"]: c["status"] for c in failing["checks"]} == {"underfitting": "failed", "regression": "failed"}

    status, body = await api("models", "churn", "versions", "2", "scan")
    assert status == 200, body
    report = body["report"]
    assert report["verdict"] == "failed" and report["model"]["version"] == 2
    finding = report["checks"][0]["findings"][0] if report["checks"][0]["findings"] else \
        report["checks"][1]["findings"][0]
    assert {"check", "code", "severity", "title", "explanation", "fix", "evidence", "details"} <= set(finding)
    status, by_alias = await api("models", "churn", "versions", "production", "scan")
    assert status == 200 and by_alias["version"] == 1 and by_alias["report"]["verdict"] == "passed"

    status, body = await api("models", "churn", "versions", "3", "scan")
    assert status == 404 and "never scanned" in body["message"]
    status, body = await api("models", "nope", "scans")
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, body = await api("models", "churn", "versions", "..%2F..%2Fetc", "scan")
    assert status in (400, 404)
