"""A filtered page in a chosen order (one scan for page and total) equals slicing the whole sorted match list."""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import pytest

from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    client = MlmClient(tmp_path_factory.mktemp("pages") / "store")
    client.import_runs(
        {"run_id": f"r{i:03d}", "experiment": "e" if i % 4 else "other", "name": f"run-{i}", "status": "finished",
         "start_time": 1_700_000_000.0 + i // 3,  # ties on start_time too
         "params": {"kind": ("a", "b", "c")[i % 3], "depth": str(i % 7)},
         # a third of the runs lack ``score`` (NULLs sort last); values repeat (ties break by start_time, id)
         "metrics": {"acc": (i * 37 % 11) / 10, **({"score": (i % 5) / 4} if i % 3 else {})}}
        for i in range(120))
    yield client.store
    client.close()


def everything(store: DuckDbStore, filter: str, experiments: list[str] | None) -> list[dict[str, Any]]:
    result = store.read("search_runs", filter=filter, experiments=experiments, max_results=10_000)
    metrics: dict[str, dict[str, float]] = {}
    for run_id, key, value in zip(*(result["metrics"].column(c).to_pylist() for c in ("run_id", "key", "value"))):
        metrics.setdefault(run_id, {})[key] = value
    params: dict[str, dict[str, str]] = {}
    for run_id, key, value in zip(*(result["params"].column(c).to_pylist() for c in ("run_id", "key", "value"))):
        params.setdefault(run_id, {})[key] = value
    return [{**row, "metrics": metrics.get(row["run_id"], {}), "params": params.get(row["run_id"], {})}
            for row in result["runs"].to_pylist()]


def expected_order(rows: list[dict[str, Any]], key: str, kind: str, descending: bool) -> list[str]:
    """The store's documented order: the key (NULLs last), then newest first, then run id."""
    def value(row: dict[str, Any]) -> Any:
        found = row[kind].get(key)
        if found is None or (isinstance(found, float) and math.isnan(found)):
            return None
        return float(found) if kind == "metrics" or key == "depth" else found  # depth is a numeric param

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        va, vb = value(a), value(b)
        if (va is None) != (vb is None):
            return 1 if va is None else -1
        if va is not None and va != vb:
            return (-1 if va < vb else 1) * (-1 if descending else 1)
        if a["start_time"] != b["start_time"]:
            return -1 if a["start_time"] > b["start_time"] else 1
        return -1 if a["run_id"] < b["run_id"] else (a["run_id"] > b["run_id"])

    return [r["run_id"] for r in sorted(rows, key=functools.cmp_to_key(compare))]


@pytest.mark.parametrize("order", ["metrics.score desc", "metrics.acc asc", "params.kind asc", "params.depth desc"])
@pytest.mark.parametrize("filter,experiments", [("metrics.acc >= 0.3", None), ("params.kind != 'c'", ["e"]),
                                                ("metrics.score > 0.2 or params.depth = '3'", None)])
def test_every_page_of_a_filtered_sorted_search_is_a_slice_of_the_whole_order(
        store: DuckDbStore, order: str, filter: str, experiments: list[str] | None) -> None:
    column, direction = order.split(" ")
    kind, key = column.split(".")
    matches = everything(store, filter, experiments)
    want = expected_order(matches, key, kind, direction == "desc")
    assert 10 < len(want) < 120  # a real filter
    seen: list[str] = []
    for offset in range(0, len(want) + 7, 7):
        page = store.read("search_runs", filter=filter, experiments=experiments, order_by=[order],
                          max_results=7, offset=offset)
        assert page["total"] == len(want)
        ids = page["runs"].column("run_id").to_pylist()
        seen += ids
        # the long-form params, metrics and tags belong to the page's runs, and all of them came
        assert set(page["metrics"].column("run_id").to_pylist()) <= set(ids)
        assert set(page["params"].column("run_id").to_pylist()) == set(ids)
    assert seen == want


def test_a_sorted_page_past_the_end_still_tells_the_total(store: DuckDbStore) -> None:
    page = store.read("search_runs", filter="metrics.acc >= 0.3", order_by=["metrics.acc desc"],
                      max_results=10, offset=10_000)
    assert page["runs"].num_rows == 0
    assert page["total"] == store.read("search_runs", filter="metrics.acc >= 0.3", max_results=0)["total"] > 0


def test_a_total_the_caller_knows_is_taken_as_is(store: DuckDbStore) -> None:
    """``total`` skips the count (the server's count cache passes it); the page itself is still read."""
    page = store.read("search_runs", filter="metrics.acc >= 0.3", order_by=["metrics.acc desc"],
                      max_results=5, total=12_345)
    assert page["total"] == 12_345 and page["runs"].num_rows == 5


def test_a_total_that_is_not_a_number_is_refused(store: DuckDbStore) -> None:
    from mlm_jupyter.core.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        store.read("search_runs", filter="metrics.acc >= 0.3", max_results=5, total="many")
