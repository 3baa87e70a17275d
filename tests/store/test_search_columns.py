"""Typed search columns: a filter on a param or metric reads a plain column, with the same results as the maps."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pytest

from mlm_jupyter.core.errors import ParamConflictError
from mlm_jupyter.core.query import compile_filter
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.tracking.client import MlmClient
from tests.store.test_run_summaries import assert_consistent

FILTERS = [
    "params.kind = 'a'", "params.kind != 'a'", "not params.kind = 'a'", "params.kind in ('a', 'c')",
    "params.kind not in ('a')", "params.kind like 'a%'", "params.kind is null", "params.depth >= 3",
    "params.depth = 2", "params.depth != 2", "params.depth in (1, 4)", "params.lr < 0.05", "params.lr = 'x'",
    "metrics.loss > 0.5", "metrics.loss <= 0.5", "metrics.loss = 0.25", "metrics.loss != 0.25",
    "not metrics.loss > 0.5", "metrics.loss in (0.25, 1.0)", "metrics.loss is null", "metrics.loss is not null",
    "metrics.acc > 0", "params.kind = 'b' and metrics.loss > 0.1", "params.kind = 'b' or metrics.acc < 0.3",
    "not (params.depth > 2 and metrics.loss < 0.9)", "params.absent = 'x'", "metrics.absent > 0",
    "params.late = 'yes' and metrics.loss >= 0.25",
]

# a metric's column holds NaN as NULL: where a NaN differs from a missing key, the map answers
ON_THE_MAPS = {"metrics.loss != 0.25", "metrics.loss in (0.25, 1.0)", "metrics.loss is null",
               "metrics.loss is not null"}


def _log_sweep(client: MlmClient, runs: int = 24) -> list[str]:
    ids = []
    for i in range(runs):
        run = client.create_run("sweep")
        params: dict[str, Any] = {"depth": i % 5, "lr": ("0.01", "0.1", "x")[i % 3]}
        if i % 4:
            params["kind"] = "abc"[i % 3]
        client.log_params(run.id, params)
        if i % 6:
            client.log_metric(run.id, "loss", (math.nan, 0.25, 0.5, 1.0, math.inf)[i % 5], step=0)
        client.log_metric(run.id, "acc", (i % 7) / 7, step=0)
        client.log_metric(run.id, "acc", (i % 3) / 3, step=1)  # the latest value is the one searched
        client.end_run(run.id, "finished")
        ids.append(run.id)
    return ids


def _matches(client: MlmClient, text: str) -> list[str]:
    return sorted(client.search_runs(text, max_results=1000)["run_id"])


def _matches_on_the_maps(client: MlmClient, text: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with monkeypatch.context() as patch:
        patch.setattr(search_columns, "for_search", lambda s: {})
        return _matches(client, text)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[MlmClient]:
    opened = MlmClient(tmp_path / "store")
    yield opened
    opened.close()


def test_every_filter_finds_the_same_runs_on_the_columns_as_on_the_maps(client: MlmClient,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _log_sweep(client)  # (runs created and logged in one queue are stored by the bulk import)
    client.flush()
    for i, run_id in enumerate(ids[::3]):  # later points change some runs' latest values (the metric flush)
        client.log_metric(run_id, "loss", (0.75, math.nan, 0.25)[i % 3], step=5)
        client.log_params(run_id, {"late": "yes"})
    client.flush()
    with client.store._session() as session:  # type: ignore[attr-defined]
        columns = search_columns.registered(session)
    assert {key for _, key in columns} == {"depth", "lr", "kind", "loss", "acc", "late"}
    for text in FILTERS:
        sql, _ = compile_filter(text, columns)
        if "absent" not in text and text not in ON_THE_MAPS:  # the typed path is the one taken
            assert '"sc' in sql, text
        assert _matches(client, text) == _matches_on_the_maps(client, text, monkeypatch), text
    assert_consistent(client.store)  # type: ignore[arg-type]


def test_ordering_by_a_param_on_its_columns_keeps_the_map_order(client: MlmClient,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _log_sweep(client)
    for order in (["params.lr"], ["params.lr desc"], ["params.depth desc", "params.kind"], ["metrics.loss desc"]):
        for text in ("", "params.depth > 1"):
            typed = list(client.search_runs(text, order_by=order, max_results=10)["run_id"])
            with monkeypatch.context() as patch:
                patch.setattr(search_columns, "for_search", lambda s: {})
                on_maps = list(client.search_runs(text, order_by=order, max_results=10)["run_id"])
            assert typed == on_maps, (order, text)


def test_a_metric_that_becomes_nan_leaves_the_comparisons_but_not_the_difference(client: MlmClient) -> None:
    run = client.create_run("nan")
    client.log_metric(run.id, "loss", 0.9, step=0)
    assert _matches(client, "metrics.loss > 0.5") == [run.id]
    client.log_metric(run.id, "loss", math.nan, step=1)
    assert _matches(client, "metrics.loss > 0.5") == []
    assert _matches(client, "metrics.loss = 0.9") == []
    assert _matches(client, "metrics.loss != 0.9") == [run.id]  # NaN differs from 0.9, as on the map
    assert _matches(client, "metrics.loss is null") == []  # the run has the metric (a NaN)
    assert_consistent(client.store)  # type: ignore[arg-type]


def test_keys_past_the_cap_are_searched_on_the_maps(client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_columns, "MAX_KEYS", 2)
    run = client.create_run("wide")
    client.log_params(run.id, {f"p{i}": str(i) for i in range(5)})
    client.flush()
    with client.store._session() as session:  # type: ignore[attr-defined]
        columns = search_columns.registered(session)
    assert sorted(key for kind, key in columns if kind == "params") == ["p0", "p1"]
    for i in range(5):
        assert _matches(client, f"params.p{i} = '{i}'") == [run.id]
    assert_consistent(client.store)  # type: ignore[arg-type]


def test_imported_runs_fill_the_columns(client: MlmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.time()
    client.import_runs([
        {"run_id": f"imp{i}", "experiment": "imported", "name": f"r{i}", "status": "finished",
         "start_time": start + i, "end_time": start + i + 1, "params": {"opt": "adam" if i % 2 else "sgd", "n": str(i)},
         "metrics": {"auc": (math.nan, 0.7, 0.9)[i % 3]}, "tags": {}} for i in range(9)])
    assert_consistent(client.store)  # type: ignore[arg-type]
    for text in ("params.opt = 'adam'", "params.n >= 4", "metrics.auc > 0.8", "metrics.auc != 0.7"):
        assert _matches(client, text) == _matches_on_the_maps(client, text, monkeypatch), text
    assert _matches(client, "params.opt = 'adam' and metrics.auc > 0.8") == ["imp5"]


def test_points_logged_before_their_run_reach_its_column(client: MlmClient) -> None:
    store = client.store
    store.write(WriteBatch.of(Op("log_metrics", {"points": pa.table({
        "run_id": ["early"], "key": ["score"], "step": [0], "value": [0.75], "time": [1.0]})})))
    store.write(WriteBatch.of(Op("create_run", {"run_id": "early", "experiment": "e", "name": "early",
                                                "start_time": time.time()})))
    assert _matches(client, "metrics.score > 0.5") == ["early"]
    assert_consistent(store)  # type: ignore[arg-type]


def test_a_rolled_back_write_takes_its_new_columns_back(client: MlmClient) -> None:
    run = client.create_run("conflict")
    client.log_params(run.id, {"fixed": "1"})
    with pytest.raises(ParamConflictError):  # one batch: a new key, then a conflicting one
        client.store.write(WriteBatch((Op("log_params", {"run_id": run.id, "params": {"fresh": "a"}}),
                                       Op("log_params", {"run_id": run.id, "params": {"fixed": "2"}}))))
    with client.store._session() as session:  # type: ignore[attr-defined]
        assert ("params", "fresh") not in search_columns.registered(session)
    client.log_params(run.id, {"fresh": "b"})  # the connection forgot the column that is gone
    assert _matches(client, "params.fresh = 'b'") == [run.id]
    assert_consistent(client.store)  # type: ignore[arg-type]


def test_a_second_client_in_the_process_sets_the_columns_the_first_added(tmp_path: Path) -> None:
    first, second = MlmClient(tmp_path / "store"), MlmClient(tmp_path / "store")
    try:
        run = second.create_run("two")
        second.log_params(run.id, {"other": "x"})  # the second client's connection has read the list
        second.flush()
        early = first.create_run("two")
        first.log_params(early.id, {"shared": "v"})  # the first adds the column for "shared"
        first.flush()
        with second.store._session() as session:  # type: ignore[attr-defined]
            assert ("params", "shared") in search_columns.for_search(session)  # its searches use it at once
        second.log_params(run.id, {"shared": "v"})  # and the second must fill it for its run
        second.flush()
        assert _matches(first, "params.shared = 'v'") == sorted([run.id, early.id])
        assert_consistent(first.store)  # type: ignore[arg-type]
    finally:
        first.close()
        second.close()


def test_a_rebuilt_summary_table_loses_its_columns_and_gets_new_names(client: MlmClient) -> None:
    run = client.create_run("rebuilt")
    client.log_params(run.id, {"a": "1"})
    client.flush()
    store = client.store
    with store._session() as session:  # type: ignore[attr-defined]
        session.con.execute("ALTER TABLE run_summaries DROP COLUMN sc1")  # as if the table were rebuilt
        search_columns.forget(session.con)
        assert search_columns.registered(session) == {("params_num", "a"): "sc2"}
    assert _matches(client, "params.a = '1'") == [run.id]  # the map answers
    client.log_params(run.id, {"b": "2"})
    client.flush()
    with store._session() as session:  # type: ignore[attr-defined]
        names = set(search_columns.registered(session).values())
    assert "sc1" not in names and len(names) == 3  # a's number, b's text and number: never sc1 again
    assert _matches(client, "params.b = '2' and params.a = 1") == [run.id]


def test_a_forged_column_name_in_the_list_never_reaches_sql(client: MlmClient) -> None:
    run = client.create_run("forged")
    client.log_params(run.id, {"a": "1"})
    client.flush()
    with client.store._session() as session:  # type: ignore[attr-defined]
        session.con.execute("ALTER TABLE run_summaries ADD COLUMN \"sc9\"\" OR TRUE --\" VARCHAR")
        session.con.execute("INSERT INTO search_columns VALUES ('params', 'evil', 'sc9\" OR TRUE --')")
        search_columns.forget(session.con)
        assert ("params", "evil") not in search_columns.registered(session)
    assert _matches(client, "params.evil = 'x'") == []
