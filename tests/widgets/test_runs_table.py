"""The runs table's Python side: loading, filter errors, sorting, columns, selection, live refresh, fallback."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.widgets.runs_table import RunsTable, sort_frame


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


def test_loads_runs_with_default_columns_newest_first(client, runs):
    table = mlm.runs(experiment="table", live=False)
    assert table.total == 5
    assert table.columns == ["name", "status", "start_time", "duration", "params.lr", "params.opt", "metrics.acc"]
    assert table.data["name"] == ["r4", "r3", "r2", "r1", "r0"]
    assert table.data["metrics.acc"] == [0.4, 0.3, 0.2, 0.1, 0.0]
    assert all(d is not None and d >= 0 for d in table.data["duration"])
    assert "tags.mlm.x" not in table.available_columns and "run_id" in table.available_columns


def test_filter_syntax_error_reports_its_column_and_keeps_the_rows(client, runs):
    table = RunsTable("table", live=False)
    table.filter = "metrics.acc >"
    assert table.error["column"] == 14 and "ends too early" in table.error["message"]
    assert len(table.data["run_id"]) == 5
    table.filter = "metrics.acc >= 0.2 and params.opt = 'sgd'"
    assert table.error == {}
    assert sorted(table.data["name"]) == ["r2", "r4"]


def test_sort_is_numeric_for_numeric_params_with_missing_values_last(client, runs):
    extra = client.create_run("table", "no-lr")
    client.end_run(extra.id)
    table = RunsTable("table", live=False)
    table.sort = ["params.lr", "asc"]
    assert list(table.frame["name"]) == ["r1", "r0", "r2", "r3", "r4", "no-lr"]
    table.sort = ["params.lr", "desc"]
    assert list(table.frame["name"])[:2] == ["r4", "r3"] and table.frame["name"].iloc[-1] == "no-lr"
    assert list(sort_frame(table._frame, [])["name"]) == list(table._frame["name"])


def test_column_chooser_sends_only_chosen_columns(client, runs):
    table = RunsTable("table", live=False)
    table.columns = ["name", "metrics.acc", "run_id"]
    assert set(table.data) == {"run_id", "status", "start_time", "name", "metrics.acc"}
    table.filter = "metrics.acc > 0.25"
    assert table.columns == ["name", "metrics.acc", "run_id"]  # a new search keeps the user's columns


def test_selection_and_compare_take_the_selected_ids(client, runs):
    table = RunsTable("table", live=False)
    with pytest.raises(mlm.MlmError, match="no runs are selected"):
        mlm.compare(table)
    table.select(runs[:2])
    assert table.selected == runs[:2]
    comparison = mlm.compare(table)
    assert comparison.run_ids == runs[:2]


def test_refresh_running_updates_running_runs_and_adds_new_ones(client, runs):
    running = client.create_run("table", "live")
    client.log_metric(running.id, "acc", 0.5)
    table = RunsTable("table", live=False)
    assert table.data["status"][0] == "running"
    assert table.refresh_running() is False  # nothing changed yet
    client.log_metric(running.id, "acc", 0.9)
    client.end_run(running.id)
    newer = client.create_run("table", "newer")
    assert table.refresh_running() is True
    assert table.data["name"][:2] == ["newer", "live"]
    assert table.data["status"][1] == "finished" and table.data["metrics.acc"][1] == 0.9
    assert table.total == 7
    client.end_run(newer.id)


def test_live_thread_refreshes_without_being_asked(client, runs):
    import time

    running = client.create_run("table", "live")
    table = RunsTable("table", refresh_seconds=0.1)
    try:
        client.end_run(running.id)
        deadline = time.monotonic() + 10
        while table.data["status"][0] != "finished" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert table.data["status"][0] == "finished"
    finally:
        table.close()


def test_static_fallback_lists_rows_as_html_and_text(client, runs):
    table = RunsTable("table", live=False)
    bundle = table._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "<table" in data["text/html"] and "r4" in data["text/html"]
    assert data["text/plain"].startswith("RunsTable: 5 of 5 runs") and "r0" in data["text/plain"]


def test_non_finite_metrics_survive_json(client):
    run = client.create_run("nan", "n")
    client.log_metric(run.id, "loss", float("inf"))
    client.log_metric(run.id, "other", float("nan"))
    client.end_run(run.id)
    table = RunsTable("nan", live=False)
    assert table.data["metrics.loss"] == ["Infinity"] and table.data["metrics.other"] == [None]
