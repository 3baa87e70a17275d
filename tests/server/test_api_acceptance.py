"""REST API as a new user calls it: structured error details, forced promotion, experiment ids, bare order_by."""

from __future__ import annotations

import json
from typing import Any

from tests.server.test_features import register_two_versions


def seed_runs(mlm_app: Any) -> dict[str, str]:
    client = mlm_app.context.client
    ids = {}
    for name, auc in (("b-run", 0.7), ("a-run", 0.9), ("c-run", 0.8)):
        run = client.create_run("churn", name=name)
        client.log_metric(run.id, "val_auc", auc)
        client.flush()
        client.end_run(run.id)
        ids[name] = run.id
    other = client.create_run("fraud", name="other")
    client.end_run(other.id)
    return ids


async def test_a_blocked_promotion_lists_its_failures_as_json(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    mlm_app.context.client.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.99)
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "reason": "try"}))
    assert status == 409 and body["code"] == "PROMOTION_BLOCKED"
    failures = body["details"]["failures"]
    assert isinstance(failures, list) and failures[0]["rule"]["metric"] == "val_auc"
    assert "val_auc" in failures[0]["message"] and failures[0]["shortfall"] > 0


async def test_force_overrides_a_gate_with_a_reason_and_is_recorded(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    client = mlm_app.context.client
    client.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.99)
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "force": True}))
    assert status == 400 and "reason" in body["message"]
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "force": "yes", "reason": "x"}))
    assert status == 400 and body["code"] == "INVALID_PARAMETER"
    status, body = await api("models", "churn", "aliases", method="POST",
                             body=json.dumps({"alias": "production", "version": 2, "force": True,
                                              "reason": "hotfix, approved by the lead"}))
    assert status == 200, body
    assert body["aliases"] == {"production": 2}
    assert client.get_model_version("churn", "production").version == 2
    status, body = await api("models", "churn", "history")
    last = body["history"][-1]
    assert last["alias"] == "production" and last["forced"] is True
    assert last["reason"] == "hotfix, approved by the lead"


async def test_runs_of_an_experiment_by_name_or_by_id(api: Any, mlm_app: Any) -> None:
    ids = seed_runs(mlm_app)
    status, body = await api("experiments")
    churn_id = next(e["id"] for e in body["experiments"] if e["name"] == "churn")
    by_name = await api("runs", params={"experiment": "churn"})
    by_id = await api("runs", params={"experiment": churn_id})
    assert by_name[0] == by_id[0] == 200
    assert by_id[1]["total"] == by_name[1]["total"] == 3
    assert {r["id"] for r in by_id[1]["runs"]} == set(ids.values())
    status, body = await api("runs", params={"experiment": "no-such-experiment"})
    assert status == 200 and body == {"runs": [], "total": 0, "offset": 0, "limit": 100}


async def test_order_by_takes_bare_attribute_names(api: Any, mlm_app: Any) -> None:
    seed_runs(mlm_app)
    status, body = await api("runs", params={"experiment": "churn", "order_by": "name"})
    assert status == 200, body
    assert [r["name"] for r in body["runs"]] == ["a-run", "b-run", "c-run"]
    status, body = await api("runs", params={"experiment": "churn", "order_by": "start_time desc"})
    assert status == 200 and [r["name"] for r in body["runs"]] == ["c-run", "a-run", "b-run"]
    status, body = await api("runs", params={"order_by": "val_auc desc"})  # not an attribute: still explained
    assert status == 400 and body["code"] == "INVALID_QUERY"


async def test_one_experiment_by_name_or_id(api: Any, mlm_app: Any) -> None:
    seed_runs(mlm_app)
    status, body = await api("experiments", "churn")
    assert status == 200 and body["name"] == "churn" and body["runs"] == 3
    status, again = await api("experiments", body["id"])
    assert status == 200 and again == body
    status, body = await api("experiments", "nope")
    assert status == 404 and body["code"] == "NOT_FOUND"


async def test_latest_metrics_of_a_run(api: Any, mlm_app: Any) -> None:
    ids = seed_runs(mlm_app)
    status, body = await api("runs", ids["a-run"], "metrics")
    assert status == 200 and body == {"run_id": ids["a-run"], "metrics": {"val_auc": 0.9}, "keys": ["val_auc"]}
    status, body = await api("runs", "nope", "metrics")
    assert status == 404 and body["code"] == "NOT_FOUND"


async def test_model_versions_and_aliases_routes(api: Any, mlm_app: Any) -> None:
    register_two_versions(mlm_app)
    mlm_app.context.client.set_alias("churn", "production", 1, reason="first")
    status, body = await api("models", "churn", "versions")
    assert status == 200 and [v["version"] for v in body["versions"]] == [1, 2]
    status, body = await api("models", "churn", "aliases")
    assert status == 200 and body == {"name": "churn", "aliases": {"production": 1}}
    for parts in (("models", "nope", "versions"), ("models", "nope", "aliases")):
        status, body = await api(*parts)
        assert status == 404 and body["code"] == "NOT_FOUND"


async def test_compare_and_lineage_take_the_parameter_names_a_user_guesses(api: Any, mlm_app: Any) -> None:
    ids = seed_runs(mlm_app)
    a, b = ids["a-run"], ids["b-run"]
    expected = [a, b]
    for params in ({"runs": f"{a},{b}"}, {"run_ids": f"{a},{b}"}, {"ids": f"{a},{b}"}):
        status, body = await api("compare", params=params)
        assert status == 200 and [r["id"] for r in body["runs"]] == expected, params
    status, body = await api("compare", params=[("run_ids", a), ("run_ids", b)])  # repeated
    assert status == 200 and [r["id"] for r in body["runs"]] == expected
    for name in ("ref", "run_id", "uri"):
        status, body = await api("lineage", params={name: a})
        assert status == 200 and body["ref"] == a, name
