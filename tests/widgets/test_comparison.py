"""The comparison widget's Python side: curves (smoothed, downsampled), parallel coordinates, diffs."""

from __future__ import annotations

import numpy as np
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.widgets.comparison import Comparison, code_diff, downsample, smooth
from tests.widgets.conftest import call


@pytest.fixture
def pair(client):
    ids = []
    for name, lr in (("a", 0.1), ("b", 0.3)):
        run = client.create_run("cmp", name)
        client.log_params(run.id, {"lr": lr, "opt": "adam"})
        client.set_tag(run.id, "stage", name)
        client.log_metric_batch(run.id, "loss", 1 / (1 + lr * np.arange(50_000)))
        client.log_metric(run.id, "acc", 0.5 + lr)
        client.end_run(run.id)
        ids.append(run.id)
    return ids


def test_curves_are_downsampled_and_keep_the_ends(client, pair):
    comparison = mlm.compare(pair, max_points=500)
    assert comparison.metric == "loss"
    curves = comparison.curves()
    assert [c["name"] for c in curves] == ["a", "b"]
    for curve in curves:
        assert curve["points"] == 50_000 and len(curve["x"]) <= 500
        assert curve["x"][0] == 0 and curve["x"][-1] == 49_999
    scatter = [t for t in comparison.figure.data if t.type == "scattergl"]
    assert len(scatter) == 2 and all(len(t.x) <= 500 for t in scatter)


def test_metric_picker_and_smoothing_redraw(client, pair):
    comparison = Comparison(pair)
    comparison.smoothing = 0.9
    smoothed = [t for t in comparison.figure.data if t.type == "scattergl"][0]
    assert "smoothed" in comparison.figure.layout.yaxis.title.text
    raw = comparison.history(pair[0], "loss")[1]
    assert smoothed.y[-1] > raw[-1]  # an EMA of a falling curve lags above it
    comparison.metric = "acc"
    scatter = [t for t in comparison.figure.data if t.type == "scattergl"]
    assert [len(t.x) for t in scatter] == [1, 1]


def test_parallel_coordinates_use_the_params_that_differ(client, pair):
    comparison = Comparison(pair, metric="acc")
    labels = [d["label"] for d in comparison.parallel_dimensions()]
    assert labels == ["lr", "acc"]  # opt is the same in both runs
    assert any(t.type == "parcoords" for t in comparison.figure.data)


def test_diff_table_marks_differences(client, pair):
    comparison = Comparison(pair)
    diff = comparison.diff
    assert bool(diff.loc["params.lr", "differs"]) and not bool(diff.loc["params.opt", "differs"])
    assert diff.loc["tags.stage", "a"] == "a"
    assert "metrics.loss" in diff.index


def test_unknown_metric_and_empty_selection_are_explained(client, pair):
    with pytest.raises(mlm.MlmError, match="none of the runs logged metric 'nope'"):
        Comparison(pair, metric="nope")
    with pytest.raises(mlm.MlmError, match="at least one run"):
        Comparison([])


def test_code_diff_between_cell_sources():
    from mlm_jupyter.core.entities import Run

    a = Run(id="1", name="a", experiment="e", status="finished", start_time=None, cell={"source": "lr = 0.1\nfit()"})
    b = Run(id="2", name="b", experiment="e", status="finished", start_time=None, cell={"source": "lr = 0.3\nfit()"})
    c = Run(id="3", name="c", experiment="e", status="finished", start_time=None)
    text = code_diff([a, b, c])
    assert "-lr = 0.1" in text and "+lr = 0.3" in text
    assert "no code snapshot recorded for c" in text


def test_smooth_and_downsample_helpers():
    values = np.r_[np.zeros(10_000), 100.0, np.zeros(10_000)]
    steps = np.arange(len(values))
    x, y = downsample(steps, values, 100)
    assert len(x) <= 100 and y.max() == 100.0  # the spike survives
    assert np.array_equal(smooth(values, 0.0), values)
    assert smooth(np.array([0.0, 1.0]), 0.5).tolist() == [0.0, 0.5]


def test_fallback_has_the_diff_table(client, pair):
    comparison = Comparison(pair)
    bundle = comparison._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "params.lr" in data["text/html"] and "Comparison of 2 runs" in data["text/plain"]


def test_the_view_reads_each_history_downsampled_and_plotly_stays_unbuilt(client, pair):
    import json
    import sys

    comparison = Comparison(pair, max_points=300)
    assert comparison.view == "compare" and [r["name"] for r in comparison.runs_data] == ["a", "b"]
    json.dumps(comparison.runs_data, allow_nan=False)
    result = call(comparison, "metric", run_id=pair[0], key="loss", max_points=300)
    assert result["count"] == 50_000 and len(result["points"]) <= 300
    step, value, time = result["points"][-1]
    assert step == 49_999 and value == pytest.approx(1 / (1 + 0.1 * 49_999)) and time > 1e9
    assert comparison._figure is None  # nothing plotly is built (or sent) for the view
    comparison._repr_mimebundle_()
    assert comparison._figure is None
    if "plotly" not in sys.modules:
        assert True  # and it was not even imported


def test_figure_follows_metric_and_smoothing_set_in_python_or_in_the_view(client, pair):
    comparison = Comparison(pair)
    figure = comparison.figure
    comparison.smoothing = 0.5
    assert "smoothed" in figure.layout.yaxis.title.text
    comparison.set_state({"metric": "acc"})  # what the view's metric picker sends
    assert comparison.metric == "acc"
    assert [len(t.x) for t in figure.data if t.type == "scattergl"] == [1, 1]
    figure.update_layout(title="mine")  # the user's own restyling stays
    comparison.metric = "loss"
    assert figure.layout.title.text == "mine"


def test_parallel_coordinates_leave_out_runs_missing_an_axis_so_the_state_is_json(client, pair):
    import json

    failed = client.create_run("cmp", "failed")  # no params, no metrics: NaN on every axis
    client.end_run(failed.id, status="failed")
    comparison = Comparison([*pair, failed.id])
    dimensions = comparison.parallel_dimensions()
    assert {"lr", "loss"} <= {d["label"] for d in dimensions}
    assert all(len(d["values"]) == 2 for d in dimensions)
    json.dumps(dimensions, allow_nan=False)  # what the kernel sends; NaN warned "Out of range float"
    assert Comparison([pair[0], failed.id]).parallel_dimensions() == []
