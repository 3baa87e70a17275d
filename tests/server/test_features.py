"""Routes over other layers' features: models, versions, aliases, audit history, cells, lineage."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression


def register_two_versions(mlm_app: Any) -> tuple[Any, str]:
    client = mlm_app.context.client
    x = np.random.default_rng(0).random((40, 3))
    y = (x[:, 0] > 0.5).astype(int)
    run = client.create_run("models")
    client.log_metric(run.id, "val_auc", 0.9, step=0)
    model = LogisticRegression().fit(x, y)
    first = client.log_model(run.id, model, "churn")
    client.log_model(run.id, model, "churn")
    client.end_run(run.id)
    return first, run.id


async def test_models_list_detail_and_history(api: Any, mlm_app: Any) -> None:
    first, run_id = register_two_versions(mlm_app)
    status, body = await api("models")
    assert status == 200 and [m["name"] for m in body["models"]] == ["churn"]
    assert body["models"][0]["latest_version"] == 2
    status, body = await api("models", "churn")
    assert status == 200 and body["name"] == "churn"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][0]["run_id"] == run_id and len(body["versions"][0]["sha256"]) == 64
    status, body = await api("models", "churn", "history")
    assert status == 200 and [e["action"] for e in body["history"]][:2] == ["version_created", "version_created"]


async def test_set_and_move_an_alias_with_reason(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 1, "reason": "first"}))
    assert status == 200, body
    assert body["aliases"] == {"production": 1}
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "reason": "better"}))
    assert status == 200 and body["aliases"] == {"production": 2}
    status, body = await api("models", "churn", "history")
    moved = [e for e in body["history"] if e["alias"] == "production"]
    assert [e["reason"] for e in moved] == ["first", "better"]
    assert moved[-1]["previous_version"] == 1 and (moved[-1]["from"], moved[-1]["to"]) == ("1", "2")


async def test_registry_errors_carry_codes(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    for parts in (("models", "nope"), ("models", "nope", "history")):
        status, body = await api(*parts)
        assert status == 404 and body["code"] == "NOT_FOUND", (parts, body)
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 99}))
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, body = await api("models", "churn", "aliases", method="POST", body=json.dumps({"alias": "production"}))
    assert status == 400 and body["code"] == "INVALID_PARAMETER"


async def test_cells_and_lineage(api: Any, mlm_app: Any) -> None:
    first, run_id = register_two_versions(mlm_app)
    status, body = await api("cells", params={"notebook": "nb.ipynb"})
    assert status == 200 and body["cells"] == []
    status, body = await api("lineage", params={"ref": run_id})
    assert status == 200 and body["ref"] == run_id and isinstance(body["lineage"], dict)
    status, body = await api("lineage", params={"ref": "models:/churn/1"})
    assert status == 200, body
    status, body = await api("lineage", params={"ref": "no-such-run"})
    assert status == 404 and body["code"] == "NOT_FOUND"
    status, body = await api("lineage")
    assert status == 400


async def test_a_blocked_promotion_is_409_with_the_reason(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    mlm_app.context.client.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.99)
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "reason": "try"}))
    assert status == 409 and body["code"] == "PROMOTION_BLOCKED" and "val_auc" in body["message"]


async def test_one_version_by_number_or_alias(api: Any, mlm_app: Any) -> None:
    first, run_id = register_two_versions(mlm_app)
    mlm_app.context.client.set_alias("churn", "production", 1, reason="first")
    status, body = await api("models", "churn", "versions", "2")
    assert status == 200 and body["version"] == 2 and body["run_id"] == run_id
    status, body = await api("models", "churn", "versions", "production")
    assert status == 200 and body["version"] == 1 and "production" in body["aliases"]
    status, body = await api("models", "churn", "versions", "9")
    assert status == 404 and body["code"] == "NOT_FOUND"
