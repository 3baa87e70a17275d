"""``runs_page``: a run search's page as plain rows, the same runs, order, values and total as ``search_runs``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import pytest

from mlm_jupyter.core.errors import QuerySyntaxError
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.tracking.client import MlmClient

FILTERS = [None, "metrics.acc >= 0.3", "params.kind != 'c'", "metrics.score > 0.2 or params.depth = '3'",
           "attributes.name LIKE 'run-1%'", "metrics.loss > 0", "tags.stage = 'nowhere'"]
ORDERS: list[list[str]] = [[], ["metrics.score desc"], ["metrics.loss asc"], ["metrics.loss desc"],
                           ["params.depth asc"], ["params.kind desc", "metrics.acc asc"], ["attributes.name asc"],
                           ["attributes.start_time asc"]]


def _run(i: int, start: float) -> dict[str, Any]:
    loss = (math.nan, math.inf, -math.inf, i / 10)[i % 4]  # non-finite latest values in every order
    return {"run_id": f"r{i:03d}", "experiment": "e" if i % 4 else "other", "name": f"run-{i}",
            "start_time": start, "end_time": start + i if i % 5 else None,
            "params": {"kind": ("a", "b", "c")[i % 3], "depth": str(i % 7), **({"empty": ""} if i % 11 == 0 else {})},
            "metrics": {"acc": (i * 37 % 11) / 10, "loss": loss, **({"score": (i % 5) / 4} if i % 3 else {})},
            "tags": {"stage": "prod" if i % 2 else "dev", **({"mlm.note": "x"} if i % 6 == 0 else {})}}


def _store(directory: Path, runs: list[dict[str, Any]]) -> Iterator[DuckDbStore]:
    client = MlmClient(directory)
    client.import_runs(runs)
    yield client.store  # type: ignore[misc]
    client.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDbStore]:
    # ties on start_time (three runs a second) break by run id
    yield from _store(tmp_path_factory.mktemp("pages") / "store",
                      [_run(i, 1_700_000_000.0 + i // 3) for i in range(120)])


@pytest.fixture(scope="module")
def nan_start_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDbStore]:
    """A few runs whose start time is NaN (DuckDB sorts NaN above every number)."""
    yield from _store(tmp_path_factory.mktemp("nan-start") / "store",
                      [_run(i, math.nan if i % 9 == 4 else 1_700_000_000.0 + i) for i in range(40)])


def old_page(store: Any, **args: Any) -> dict[str, Any]:
    """The page as ``search_runs`` gives it (Arrow), turned into run objects."""
    result = store.read("search_runs", detail=False, **args)
    runs = []
    for row in result["runs"].to_pylist():
        runs.append({"id": row["run_id"], "name": row["name"], "status": row["status"], "experiment": row["experiment"],
                     "start_time": row["start_time"], "end_time": row["end_time"], "user": row["user_name"],
                     "params": {}, "metrics": {}, "tags": {}})
    by_id = {run["id"]: run for run in runs}
    for part in ("params", "metrics", "tags"):
        table = result[part]
        for run_id, key, value in zip(*(table.column(c).to_pylist() for c in ("run_id", "key", "value"))):
            by_id[run_id][part][key] = value
    for run in runs:
        for part in ("params", "metrics", "tags"):
            run[part] = dict(sorted(run[part].items()))
    return {"runs": runs, "total": result["total"]}


def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN (and key order counts, as the page promises sorted maps)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_every_page_equals_search_runs_page(store: DuckDbStore) -> None:
    checked = 0
    for filter in FILTERS:
        for experiments in (None, ["e"]):
            for order in ORDERS:
                for offset, limit in ((0, 50), (0, 7), (7, 7), (49, 50), (100, 50), (115, 7), (300, 10)):
                    args = {"filter": filter, "experiments": experiments, "order_by": order,
                            "max_results": limit, "offset": offset}
                    new, old = store.read("runs_page", **args), old_page(store, **args)
                    assert same(new, old), args
                    checked += bool(new["runs"])
    assert checked > 300  # most combinations have rows to compare


def test_a_page_keeps_every_stored_value(store: DuckDbStore) -> None:
    runs = {run["id"]: run for run in store.read("runs_page", max_results=200)["runs"]}
    assert len(runs) == 120
    assert math.isnan(runs["r000"]["metrics"]["loss"]) and runs["r001"]["metrics"]["loss"] == math.inf
    assert runs["r002"]["metrics"]["loss"] == -math.inf and "score" not in runs["r000"]["metrics"]
    assert runs["r000"]["params"] == {"depth": "0", "empty": "", "kind": "a"}  # an empty string is a value
    assert runs["r006"]["tags"] == {"mlm.note": "x", "stage": "dev"}  # internal tags too: a view picks
    assert runs["r005"]["end_time"] is None and runs["r001"]["end_time"] == runs["r001"]["start_time"] + 1
    assert set(runs["r001"]) == {"id", "name", "status", "experiment", "start_time", "end_time", "user",
                                 "params", "metrics", "tags"}
    detailed = store.read("runs_page", max_results=1, detail=True)["runs"][0]
    assert {"status_reason", "parent_run_id", "source", "owner"} <= set(detailed) and detailed["source"] == "import"


def test_a_known_total_is_taken_and_a_count_only_page_is_empty(store: DuckDbStore) -> None:
    args = {"filter": "metrics.acc >= 0.3", "order_by": ["metrics.acc desc"], "max_results": 5}
    assert store.read("runs_page", **args, total=12345)["total"] == 12345  # the caller's cached count
    assert same(store.read("runs_page", **args, total=12345)["runs"], store.read("runs_page", **args)["runs"])
    counted = store.read("runs_page", filter="metrics.acc >= 0.3", max_results=0)
    assert counted["runs"] == [] and counted["total"] == old_page(store, filter="metrics.acc >= 0.3",
                                                                  max_results=0)["total"] > 0


def test_nan_start_times_sort_as_duckdb_sorts_them(nan_start_store: DuckDbStore) -> None:
    for filter in (None, "params.kind = 'b'", "metrics.acc > 2"):
        for order in ([], ["attributes.start_time asc"], ["metrics.acc desc"]):
            for offset in (0, 3, 30):
                args = {"filter": filter, "order_by": order, "max_results": 10, "offset": offset}
                assert same(nan_start_store.read("runs_page", **args), old_page(nan_start_store, **args)), args
    first = nan_start_store.read("runs_page", max_results=40)["runs"]
    assert math.isnan(first[0]["start_time"])  # newest first puts NaN first, as search_runs does


def test_a_bad_filter_or_order_is_the_same_error(store: DuckDbStore) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        store.read("runs_page", filter="metrics.acc >")
    assert error.value.column == 14
    with pytest.raises(QuerySyntaxError):
        store.read("runs_page", order_by=["datasets.x asc"])


def test_the_client_page_flushes_buffered_metrics_and_names_one_experiment(tmp_path: Path) -> None:
    client = MlmClient(tmp_path / "store")
    try:
        run = client.create_run("solo", "a")
        client.log_metric(run.id, "acc", 0.5)  # buffered until a read flushes it
        client.create_run("other", "b")
        page = client.runs_page(experiment="solo")
        assert page["total"] == 1 and page["runs"][0]["metrics"] == {"acc": 0.5}
        both = client.runs_page(experiment=["solo", "other"], order_by="attributes.name desc")  # one order, a str
        assert both["total"] == 2 and [run["name"] for run in both["runs"]] == ["b", "a"]
    finally:
        client.close()
