"""``%mlm runs`` options and ``%mlm compare`` / ``mlm.compare()`` on the runs table's selection."""

from __future__ import annotations

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.kernel.failsafe import FailSafe
from mlm_jupyter.kernel.mlm_magic import MlmMagic, runs_arguments
from mlm_jupyter.widgets.comparison import Comparison
from mlm_jupyter.widgets.runs_table import RunsTable


@pytest.fixture
def runs(client):
    ids = {}
    for experiment, name, depth in (("churn", "shallow", 4), ("churn", "deep", 8), ("fraud", "other", 8)):
        run = client.create_run(experiment, name)
        client.log_params(run.id, {"max_depth": depth})
        client.log_metric(run.id, "loss", 1.0 / depth)
        client.end_run(run.id)
        ids[name] = run.id
    return ids


@pytest.fixture
def magic():
    return MlmMagic(None, FailSafe())  # runs/compare do not use the capture


@pytest.mark.parametrize("line, expected", [
    ("", (None, None)),
    ("churn", ("churn", None)),
    ("-e churn", ("churn", None)),
    ("--experiment=churn", ("churn", None)),
    ('-e "my experiment" -f params.max_depth = 8', ("my experiment", "params.max_depth = 8")),
    ("--filter \"tags.stage = 'baseline'\"", (None, "tags.stage = 'baseline'")),
])
def test_runs_arguments(line, expected):
    assert runs_arguments(line) == expected


def test_mlm_runs_with_experiment_and_filter_options(runs, magic):
    table = magic("runs -e churn")
    assert isinstance(table, RunsTable) and sorted(table.frame["name"]) == ["deep", "shallow"]
    table = magic("runs -e churn -f params.max_depth >= 8")
    assert list(table.frame["name"]) == ["deep"] and table.filter == "params.max_depth >= 8"
    table = magic("runs churn")
    assert sorted(table.frame["name"]) == ["deep", "shallow"]
    table.close()


def test_unknown_option_prints_the_usage(runs, magic, capsys):
    assert magic("runs -x churn") is None
    assert "unknown option '-x'" in capsys.readouterr().out


def test_compare_without_ids_uses_the_last_selection(runs, magic, capsys):
    first = mlm.runs(experiment="churn", live=False)
    second = mlm.runs(live=False)
    first.selected = [runs["shallow"], runs["deep"]]
    comparison = mlm.compare()
    assert isinstance(comparison, Comparison) and comparison.run_ids == [runs["shallow"], runs["deep"]]
    second.selected = [runs["deep"], runs["other"]]
    shown = magic("compare")
    assert isinstance(shown, Comparison) and shown.run_ids == [runs["deep"], runs["other"]]
    second.selected = []  # an emptied selection does not fall back to an older table's
    assert magic("compare") is None
    assert "select rows in a runs table" in capsys.readouterr().out
    for table in (first, second):
        table.close()


def test_compare_with_nothing_selected_says_what_to_do(client, magic, capsys):
    from mlm_jupyter.widgets import runs_table

    runs_table._last_selected = None
    assert magic("compare") is None
    assert "select rows in a runs table" in capsys.readouterr().out
    with pytest.raises(mlm.MlmError, match="select rows in a runs table"):
        mlm.compare()


def test_status_says_the_store_is_reached_through_the_server(ip, client, monkeypatch):
    described = {"backend": "rest", "url": "http://127.0.0.1:8888/", "directory": "/data/.mlm",
                 "pending_journal": 0, "reachable": True}
    monkeypatch.setattr(client.store, "describe", lambda: described)
    table = ip.run_line_magic("mlm", "status")
    assert table.loc["backend", "value"] == "rest"
    assert table.loc["mode", "value"] == "through the Jupyter server at http://127.0.0.1:8888/"
    assert table.loc["store", "value"] == "/data/.mlm"
