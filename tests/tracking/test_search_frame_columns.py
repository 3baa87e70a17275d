"""The ``params.*`` / ``metrics.*`` / ``tags.*`` columns of a search frame, checked against a plain-Python pivot.

Runs of a sweep share one key list, and the pivot takes a shortcut for them (``_shared_keys_grid``);
every other shape of keys goes the general way. Both must give what the plain pivot gives.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pyarrow as pa
import pytest

from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.runs import _shared_keys_grid, _wide_columns, runs_frame


def _long(runs: dict[str, dict[str, Any]], order: list[str], key_type: pa.DataType = pa.string()) -> pa.Table:
    """(run_id, key, value) rows, runs in ``order``, each run's keys in its dict's order."""
    rows = [(run_id, key, value) for run_id in order for key, value in runs[run_id].items()]
    return pa.table({"run_id": pa.array([r[0] for r in rows], pa.string()),
                     "key": pa.array([r[1] for r in rows], key_type),
                     "value": pa.array([r[2] for r in rows], pa.string())})


def _plain_pivot(runs: dict[str, dict[str, Any]], page: list[str]) -> dict[str, list[Any]]:
    names = sorted({key for values in runs.values() for key in values})
    return {f"params.{name}": [runs[run_id].get(name) for run_id in page] for name in names}


def _pivot(long: pa.Table, page: list[str]) -> dict[str, list[Any]]:
    names, arrays = _wide_columns(long, pa.array(page, pa.string()), "params")
    return {name: array.to_pylist() for name, array in zip(names, arrays)}


def _sweep(runs: int = 30) -> dict[str, dict[str, Any]]:
    return {f"r{i:02d}": {"lr": str(i / 10), "depth": str(i % 4), "é-name": "ü" * (i % 3)} for i in range(runs)}


def test_a_sweep_shuffled_against_the_page_takes_the_shortcut_and_matches() -> None:
    runs = _sweep()
    stored_order = list(runs)
    random.Random(3).shuffle(stored_order)
    page = sorted(runs, reverse=True)
    long = _long(runs, stored_order)
    positions = pa.compute.index_in(long.column("run_id"), value_set=pa.array(page)).to_numpy()
    assert _shared_keys_grid(long.column("key").combine_chunks(), positions, len(page)) is not None
    assert _pivot(long, page) == _plain_pivot(runs, page)


@pytest.mark.parametrize("change", ["one run lists its keys in another order", "one run lacks a key",
                                    "one run has an extra key", "same bytes, other split", "one run only"])
def test_other_key_shapes_go_the_general_way_and_match(change: str) -> None:
    runs = _sweep(6)
    if change == "one run lists its keys in another order":
        runs["r03"] = dict(reversed(list(runs["r03"].items())))
    elif change == "one run lacks a key":
        del runs["r03"]["depth"]
    elif change == "one run has an extra key":
        runs["r03"]["seed"] = "7"
    elif change == "same bytes, other split":  # "ab" + "c" against "a" + "bc": equal bytes, other keys
        runs = {"x": {"ab": "1", "c": "2"}, "y": {"a": "3", "bc": "4"}}
    else:
        runs = {"only": {"b": "1", "a": "2"}}
    page = sorted(runs)
    long = _long(runs, list(runs))
    shortcut = _shared_keys_grid(long.column("key").combine_chunks(),
                                 pa.compute.index_in(long.column("run_id"), value_set=pa.array(page)).to_numpy(),
                                 len(page))
    assert (shortcut is not None) == (change == "one run only")
    assert _pivot(long, page) == _plain_pivot(runs, page)


def test_sliced_and_large_string_keys_read_from_their_own_offsets() -> None:
    runs = _sweep(8)
    padded = {"pad": {"zz": "0"}, **runs}
    long = _long(padded, list(padded)).slice(1)  # the keys array starts one row into its buffers
    assert long.column("key").chunk(0).offset == 1
    assert _pivot(long, list(runs)) == _plain_pivot(runs, list(runs))
    large = _long(runs, list(runs), key_type=pa.large_string())
    assert _pivot(large, list(runs)) == _plain_pivot(runs, list(runs))


def test_runs_frame_pivots_params_metrics_and_tags_of_mixed_runs() -> None:
    runs = [{"id": "a", "params": {"lr": "0.1"}, "metrics": {"auc": 0.5, "loss": math.nan}, "tags": {}},
            {"id": "b", "params": {"lr": "0.2", "seed": "1"}, "metrics": {"auc": 0.7}, "tags": {"team": "x"}}]
    frame = runs_frame(runs)
    assert list(frame["params.lr"]) == ["0.1", "0.2"]
    assert frame["params.seed"].isna().tolist() == [True, False]
    assert frame["metrics.auc"].tolist() == [0.5, 0.7]
    assert math.isnan(frame["metrics.loss"][0]) and math.isnan(frame["metrics.loss"][1])
    assert frame["tags.team"].isna().tolist() == [True, False]


def test_search_runs_over_a_sweep_gives_each_run_its_own_values(client: MlmClient) -> None:
    expected = {}
    for i in range(12):
        run = client.create_run("sweep", f"r{i}")
        params = {"lr": str(i / 100), "depth": str(i % 3), "batch": "32"}
        client.log_params(run.id, params)
        client.log_metrics(run.id, {"auc": i / 12, "loss": 1 - i / 12})
        expected[run.id] = (params, i / 12)
    client.flush()
    frame = client.search_runs("params.depth != '1'")
    assert len(frame) == 8
    for row in frame.to_dict("records"):
        params, auc = expected[row["run_id"]]
        assert {key: row[f"params.{key}"] for key in params} == params
        assert row["metrics.auc"] == pytest.approx(auc)
        assert row["metrics.loss"] == pytest.approx(1 - auc)


def test_empty_key_names_pivot_like_any_other() -> None:
    runs = {"a": {"": "1"}, "b": {"": "2"}}
    assert _pivot(_long(runs, ["b", "a"]), ["a", "b"]) == {"params.": ["1", "2"]}
