"""The runs table's Python side: server-side pages, filter errors with their column, sort, columns, selection."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.widgets.runs_table import RunsTable, _epoch, _shown, default_columns
from mlm_jupyter.widgets.widget_base import jsonable
from tests.widgets.conftest import CallError, call


@pytest.fixture
def runs(client):
    ids = []
    for i, lr in enumerate([0.1, 0.01, 0.5, 2, 10]):
        run = client.create_run("table", f"r{i}")
        client.log_params(run.id, {"lr": lr, "opt": "adam" if i % 2 else "sgd"})
        client.log_metric(run.id, "acc", i / 10)
        client.end_run(run.id)
        ids.append(run.id)
    return ids


def rows_of(frame):
    """The page as the widget built it before it read ``runs_page``: run objects from a search frame (the oracle)."""
    out = []
    for record in frame.to_dict("records"):
        row = {"id": record.get("run_id"), "name": record.get("name"), "status": record.get("status"),
               "experiment": record.get("experiment"), "start_time": _epoch(record.get("start_time")),
               "end_time": _epoch(record.get("end_time")), "params": {}, "metrics": {}, "tags": {}}
        for key, value in record.items():
            kind, dot, name = key.partition(".")
            if dot and kind in ("params", "metrics", "tags") and _shown(kind, name, value):
                row[kind][name] = value
        out.append(jsonable(row))
    return out


def names(page):
    return [row["name"] for row in page["runs"]]


def test_first_page_comes_with_the_widget_newest_first(client, runs):
    table = mlm.runs(experiment="table", live=False)
    assert table.total == 5 and table.view == "runs"
    assert table.columns == ["name", "status", "start_time", "duration", "params.lr", "params.opt", "metrics.acc"]
    assert names(table.page) == ["r4", "r3", "r2", "r1", "r0"]
    first = table.page["runs"][0]
    assert first["metrics"] == {"acc": 0.4} and first["params"] == {"lr": "10", "opt": "sgd"}
    assert first["end_time"] >= first["start_time"] > 0
    assert list(table.frame["name"]) == names(table.page)


def test_the_view_reads_pages_sorted_on_the_server(client, runs):
    table = RunsTable("table", live=False, page_size=2)
    assert names(table.page) == ["r4", "r3"] and table.page["total"] == 5
    page = call(table, "page", offset=2, limit=2, orderBy="params.lr asc", experiment="table")
    assert names(page) == ["r2", "r3"] and page["total"] == 5 and page["offset"] == 2  # numeric: 0.01 0.1 | 0.5 2
    assert table.sort == ["params.lr", "asc"] and list(table.frame["name"]) == ["r2", "r3"]
    table.sort = ["params.lr", "desc"]  # from Python: the first page again
    assert names(table.page) == ["r4", "r3"]


def test_pages_the_view_asks_for_stay_in_the_tables_experiment(client, runs):
    other = client.create_run("elsewhere", "not-mine")
    client.end_run(other.id)
    table = RunsTable("table", live=False, page_size=2)
    page = call(table, "page", offset=0, limit=2, orderBy="params.lr asc")  # the view names no experiment
    assert page["total"] == 5 and "not-mine" not in names(page)


def test_filter_syntax_error_goes_back_with_its_column(client, runs):
    table = RunsTable("table", live=False)
    with pytest.raises(CallError) as error:
        call(table, "page", offset=0, limit=50, filter="metrics.acc >", experiment="table")
    assert error.value.error["status"] == 400 and error.value.error["column"] == 14
    assert "ends too early" in error.value.error["message"] and "^" not in error.value.error["message"]
    assert table.error["column"] == 14 and table.filter == "metrics.acc >"
    page = call(table, "page", offset=0, limit=50, filter="metrics.acc >= 0.2 and params.opt = 'sgd'",
                experiment="table")
    assert sorted(names(page)) == ["r2", "r4"] and table.error == {}
    assert table.filter == "metrics.acc >= 0.2 and params.opt = 'sgd'"


def test_a_filter_set_in_python_reloads_and_a_bad_one_keeps_the_rows(client, runs):
    table = RunsTable("table", live=False)
    table.filter = "params.opt = 'adam'"
    assert sorted(names(table.page)) == ["r1", "r3"] and table.total == 2
    table.filter = "params.opt ="
    assert table.error["column"] > 0 and sorted(names(table.page)) == ["r1", "r3"]


def test_selection_and_compare_take_the_selected_ids(client, runs):
    table = RunsTable("table", live=False)
    with pytest.raises(mlm.MlmError, match="no runs are selected"):
        mlm.compare(table)
    table.select(runs[:2])
    assert table.selected == runs[:2]
    comparison = mlm.compare(table)
    assert comparison.run_ids == runs[:2]
    assert mlm.compare().run_ids == runs[:2]  # the last table's selection


def test_static_fallback_lists_rows_as_html_and_text(client, runs):
    table = RunsTable("table", live=False, columns=["name", "metrics.acc", "run_id"])
    bundle = table._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "<table" in data["text/html"] and "r4" in data["text/html"] and runs[4] in data["text/html"]
    assert data["text/plain"].startswith("RunsTable: 5 of 5 runs") and "r0" in data["text/plain"]


def test_non_finite_metrics_are_strict_json(client):
    run = client.create_run("nan", "n")
    client.log_metric(run.id, "loss", float("inf"))
    client.log_metric(run.id, "other", float("nan"))
    client.end_run(run.id)
    table = RunsTable("nan", live=False)
    json.dumps(table.page, allow_nan=False)  # the browser's JSON.parse takes no NaN
    assert table.page["runs"][0]["metrics"].get("loss") is None


def test_an_unknown_call_is_an_error_reply_not_a_crash(client, runs):
    table = RunsTable("table", live=False)
    with pytest.raises(CallError, match="no method 'drop_everything'"):
        call(table, "drop_everything")
    with pytest.raises(CallError, match="TypeError"):
        call(table, "page", bogus=1)
    assert table.call_seconds and max(table.call_seconds) < 0.5


@pytest.fixture
def varied(client):
    """Runs with ties, missing and non-finite metrics, internal tags and a second experiment."""
    for i in range(12):
        run = client.create_run("varied" if i % 4 else "aside", f"v{i:02d}")
        client.log_params(run.id, {"depth": i % 5, **({"note": "x"} if i % 3 == 0 else {})})
        client.log_metric(run.id, "loss", (float("nan"), float("inf"), -float("inf"), i / 7)[i % 4])
        if i % 2:
            client.log_metric(run.id, "acc", (i % 3) / 2)
        client.set_tags(run.id, {"stage": "a" if i % 2 else "b", "mlm.internal": "hidden"})
        client.end_run(run.id)


@pytest.mark.parametrize("filter,order,experiment", [
    ("", "", None), ("metrics.acc >= 0", "metrics.acc desc", None), ("params.depth >= 1", "params.depth asc", "varied"),
    ("", "metrics.loss asc", None), ("tags.stage = 'a'", "attributes.name desc", None), ("", "metrics.acc asc", "varied")])
def test_pages_and_frame_equal_the_search_runs_ones(client, varied, filter, order, experiment):
    table = RunsTable(experiment, live=False, page_size=4)
    for offset in (0, 4, 8, 12):
        page = call(table, "page", offset=offset, limit=4, orderBy=order or None, filter=filter)
        old = client.search_runs(filter or None, experiment, order_by=[order] if order else None, max_results=4,
                                 offset=offset)
        before = rows_of(old)  # the page as the widget built it from search_runs' frame
        assert [row.pop("user") for row in page["runs"]] == list(old["user"])  # the one field added
        assert [r["id"] for r in page["runs"]] == [r["id"] for r in before] and page["total"] == old.attrs["total"]
        for new_row, old_row in zip(page["runs"], before):
            assert {k: v for k, v in new_row.items() if k not in ("start_time", "end_time")} == \
                {k: v for k, v in old_row.items() if k not in ("start_time", "end_time")}
            for key in ("start_time", "end_time"):  # the frame rounds times to microseconds
                assert (new_row[key] is None) == (old_row[key] is None)
                assert new_row[key] is None or abs(new_row[key] - old_row[key]) < 1e-5
        json.dumps(page, allow_nan=False)
        assert all("mlm.internal" not in row["tags"] and "stage" in row["tags"] for row in page["runs"])
        pd.testing.assert_frame_equal(table.frame, old.reset_index(drop=True))
        assert table.frame.attrs["total"] == old.attrs["total"]


def test_default_columns_come_from_the_page(client, varied):
    table = RunsTable("varied", live=False)
    assert table.columns == ["name", "status", "start_time", "duration", "params.depth", "params.note",
                             "metrics.acc", "metrics.loss"]
    assert table.columns == default_columns(table.frame)  # the same as from the frame the page was before


def test_a_table_whose_first_filter_fails_has_an_empty_frame_and_base_columns(client, varied):
    table = RunsTable("varied", "metrics.acc >", live=False)
    assert table.error["column"] > 0 and table.page == {} and table.frame.empty
    assert table.columns == ["name", "status", "start_time", "duration"]
    assert table.fallback_text().startswith("RunsTable: 0 of 0 runs")
