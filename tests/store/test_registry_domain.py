"""The registry domain on a real DuckDB file: version numbering, atomic batches, the append-only audit trail."""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.domains import journalable, registry
from mlm_jupyter.store.duckdb_store import DuckDbStore

SHA = "a" * 64


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = DuckDbStore(tmp_path / "s")
    opened.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "exp", "name": "r1",
                                                 "start_time": time.time(), "owner": "test"})))
    yield opened
    opened.close()


def version_op(name: str = "m", run_id: str | None = "r1") -> Op:
    return Op("create_model_version", {"name": name, "run_id": run_id, "sha256": SHA, "flavor": "sklearn",
                                       "user": "ada", "signature": {"inputs": [], "outputs": []},
                                       "requirements": ["scikit-learn==1.0"]})


def one(store: Any, *ops: Op) -> Any:
    return store.write(WriteBatch(tuple(ops)))[-1]


def events(store: Any, name: str = "m") -> list[dict[str, Any]]:
    return store.read("model_history", name=name)


def test_the_registry_tables_come_with_migration_4(store: Any) -> None:
    tables = set(store.sql("SELECT table_name FROM information_schema.tables").column("table_name").to_pylist())
    assert {"registered_models", "model_versions", "model_aliases", "promotion_rules", "registry_events",
            "model_loads"} <= tables
    assert 4 in store.sql("SELECT version FROM schema_version").column("version").to_pylist()
    assert "run_id" in store.sql("SELECT * FROM model_versions").column_names


def test_versions_are_numbered_inside_the_transaction(store: Any) -> None:
    assert [one(store, version_op())["version"] for _ in range(3)] == [1, 2, 3]
    results = store.write(WriteBatch.of(version_op(), version_op(), version_op("other")))
    assert [r["version"] for r in results] == [4, 5, 1]
    record = store.read("model_version", name="m", version=2)
    assert record["run_id"] == "r1" and record["created_by"] == "ada" and record["status"] == "ready"


def test_a_replayed_batch_does_not_register_twice(store: Any) -> None:
    batch = WriteBatch.of(version_op())
    first = store.write(batch)[0]
    again = store.write(batch)[0]
    assert first["version"] == again["version"] == 1
    assert len(store.read("model_versions", name="m")) == 1
    assert [e["action"] for e in events(store)] == ["version_created"]


def test_a_failed_batch_leaves_no_version_and_no_event(store: Any) -> None:
    one(store, version_op())
    with pytest.raises(NotFoundError):
        store.write(WriteBatch.of(version_op(), Op("set_alias", {"name": "m", "alias": "production", "version": 9})))
    assert [v["version"] for v in store.read("model_versions", name="m")] == [1]
    assert len(events(store)) == 1


def test_a_version_needs_an_existing_run(store: Any) -> None:
    with pytest.raises(NotFoundError, match="no run"):
        one(store, version_op(run_id="missing"))
    assert store.read("registered_models") == []


def test_alias_results_say_what_happened(store: Any) -> None:
    one(store, version_op(), version_op())
    alias = {"name": "m", "alias": "production", "user": "ada"}
    assert one(store, Op("set_alias", {**alias, "version": 1}))["status"] == "set"
    assert one(store, Op("set_alias", {**alias, "version": 1}))["status"] == "unchanged"
    moved = one(store, Op("set_alias", {**alias, "version": 2, "reason": "better"}))
    assert (moved["status"], moved["from"], moved["to"]) == ("moved", 1, 2)
    assert one(store, Op("delete_alias", {"name": "m", "alias": "production"})) == 2
    actions = [(e["action"], e["from_value"], e["to_value"]) for e in events(store)]
    assert actions[2:] == [("alias_set", None, "1"), ("alias_moved", "1", "2"), ("alias_removed", "2", None)]


def test_a_blocked_promotion_is_recorded_but_moves_nothing(store: Any) -> None:
    one(store, version_op())
    one(store, Op("set_promotion_rule", {"name": "m", "rule": {"kind": "metric_threshold", "metric": "auc",
                                                                "op": ">=", "threshold": 0.9}}))
    result = one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))
    assert result["status"] == "blocked"
    assert "has no metric 'auc'" in result["failures"][0]["message"]
    assert store.read("registered_models")[0]["aliases"] == {}
    assert events(store)[-1]["action"] == "promotion_blocked"


def _scan_op(scan_id: str, statuses: dict[str, tuple[str, str | None]], **where: Any) -> Op:
    return Op("record_scan", {"id": scan_id, "task": "binary", "verdict": "failed", "fail_on": "high",
                              "report_sha256": "0" * 64, "findings": 0, **where,
                              "checks": [{"name": n, "status": st, "severity": sev}
                                         for n, (st, sev) in statuses.items()]})


def test_checks_come_from_the_latest_scan_of_the_run(store: Any) -> None:
    one(store, version_op())
    one(store, Op("set_promotion_rule", {"name": "m", "rule": {"kind": "checks_passed"}}))
    one(store, _scan_op("s1", {"leakage": ("passed", None), "bias": ("failed", "high")}, run_id="r1",
                        created_at=1.0))
    blocked = one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))
    assert blocked["status"] == "blocked" and "(bias)" in blocked["failures"][0]["message"]
    one(store, _scan_op("s2", {"leakage": ("passed", None), "bias": ("warning", "low"),
                               "regression": ("skipped", None)}, run_id="r1", created_at=2.0))
    assert one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))["status"] == "set"


def test_scan_passed_gate_judges_the_version_by_severity(store: Any) -> None:
    one(store, version_op())
    one(store, Op("set_promotion_rule", {"name": "m", "rule": {"kind": "scan_passed", "severity": "medium"}}))
    unscanned = one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))
    assert unscanned["status"] == "blocked" and "has no model scan" in unscanned["failures"][0]["message"]
    one(store, _scan_op("s1", {"slices": ("warning", "medium")}, model_name="m", model_version=1, created_at=1.0))
    blocked = one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))
    assert blocked["status"] == "blocked" and "slices (medium)" in blocked["failures"][0]["message"]
    one(store, _scan_op("s2", {"slices": ("warning", "low")}, model_name="m", model_version=1, created_at=2.0))
    assert one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))["status"] == "set"


def test_the_audit_trail_only_grows(store: Any) -> None:
    """Every registry op appends; none rewrites or removes an earlier event."""
    steps = [
        version_op(), version_op(),
        Op("set_alias", {"name": "m", "alias": "staging", "version": 1}),
        Op("set_alias", {"name": "m", "alias": "staging", "version": 2}),
        Op("set_promotion_rule", {"name": "m", "rule": {"kind": "checks_passed"}}),
        Op("set_alias", {"name": "m", "alias": "production", "version": 1}),
        Op("set_alias", {"name": "m", "alias": "production", "version": 1, "force": True, "reason": "r"}),
        Op("delete_promotion_rule", {"name": "m", "alias": "production", "rule_id": "checks_passed"}),
        Op("delete_alias", {"name": "m", "alias": "staging"}),
        Op("set_version_status", {"name": "m", "version": 2, "status": "archived"}),
        Op("set_version_status", {"name": "m", "version": 2, "status": "ready"}),
        Op("set_description", {"name": "m", "description": "d"}),
        Op("set_description", {"name": "m", "version": 1, "description": "v1"}),
        Op("record_model_load", {"name": "m", "version": 1, "sha256": SHA, "uri": "models:/m/1"}),
    ]
    seen: list[dict[str, Any]] = []
    for op in steps:
        one(store, op)
        now = events(store)
        assert now[:len(seen)] == seen
        seen = now
    assert len(seen) == 13  # every op but the load (loads have their own table)
    source = inspect.getsource(registry)
    assert "UPDATE registry_events" not in source and "DELETE FROM registry_events" not in source


def test_archiving_and_invalid_states_are_refused(store: Any) -> None:
    one(store, version_op())
    one(store, Op("set_alias", {"name": "m", "alias": "production", "version": 1}))
    with pytest.raises(InvalidInputError, match="move or delete"):
        one(store, Op("set_version_status", {"name": "m", "version": 1, "status": "archived"}))
    with pytest.raises(InvalidInputError):
        one(store, Op("set_version_status", {"name": "m", "version": 1, "status": "deleted"}))
    with pytest.raises(InvalidInputError, match="invalid model name"):
        one(store, version_op(name="a/b"))


def test_only_load_records_may_wait_in_the_journal() -> None:
    assert "record_model_load" in journalable()
    assert not {"create_model_version", "set_alias", "delete_alias"} & journalable()


def test_loads_are_listed_newest_first(store: Any) -> None:
    for version in (1, 2):
        one(store, Op("record_model_load", {"name": "m", "version": version, "sha256": SHA,
                                            "uri": f"models:/m/{version}", "time": float(version)}))
    assert [r["version"] for r in store.read("model_loads", name="m")] == [2, 1]
