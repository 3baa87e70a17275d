"""search_runs pages and totals, the default newest-first order, and keys a run lacks."""

from __future__ import annotations

import math

import pytest

from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.client import MlmClient


@pytest.fixture
def sweep(client: MlmClient) -> list[str]:
    """Twelve runs, started at t = 0..11 (so newest first is reverse order), two experiments."""
    ids = []
    for index in range(12):
        run_id = f"run-{index:02d}"
        ops = [Op("create_run", {"run_id": run_id, "experiment": "even" if index % 2 == 0 else "odd",
                                 "name": run_id, "start_time": float(index)})]
        if index % 3:
            ops.append(Op("log_params", {"run_id": run_id, "params": {"depth": str(index)}}))
        client.store.write(WriteBatch(tuple(ops)))
        ids.append(run_id)
    return ids


@pytest.mark.parametrize("max_results, offset", [(100, 0), (5, 0), (5, 5), (5, 10), (5, 12), (5, 40), (0, 0), (12, 0)])
def test_pages_and_totals(client: MlmClient, sweep: list[str], max_results: int, offset: int) -> None:
    newest_first = sweep[::-1]
    frame = client.search_runs(max_results=max_results, offset=offset)
    assert list(frame["run_id"]) == newest_first[offset:offset + max_results]
    assert frame.attrs["total"] == 12


def test_ties_on_start_time_fall_back_to_run_id(client: MlmClient) -> None:
    for run_id in ("b", "c", "a"):
        client.store.write(WriteBatch.of(Op("create_run", {"run_id": run_id, "experiment": "e", "name": run_id,
                                                           "start_time": 5.0})))
    assert list(client.search_runs()["run_id"]) == ["a", "b", "c"]
    assert list(client.search_runs(max_results=2, offset=1)["run_id"]) == ["b", "c"]


def test_a_key_the_run_lacks_never_matches_and_not_keeps_the_run(client: MlmClient, sweep: list[str]) -> None:
    has_depth = {i for i in sweep if int(i[-2:]) % 3}
    assert set(client.search_runs("params.depth >= 0")["run_id"]) == has_depth
    assert set(client.search_runs("not params.depth >= 0")["run_id"]) == set(sweep) - has_depth
    assert set(client.search_runs("params.depth != '4'")["run_id"]) == has_depth - {"run-04"}
    assert set(client.search_runs("params.depth is null")["run_id"]) == set(sweep) - has_depth
    assert client.count_runs("params.depth >= 0", experiment="odd") == len([i for i in has_depth if int(i[-2:]) % 2])


def test_order_by_a_metric_puts_nan_first_descending_and_missing_last(client: MlmClient) -> None:
    values = {"low": 0.1, "nan": math.nan, "high": 0.9, "none": None}
    for name, value in values.items():
        run = client.create_run("m", name)
        if value is not None:
            client.log_metric(run.id, "auc", value)
    client.flush()
    assert list(client.search_runs(order_by=["metrics.auc desc"])["name"]) == ["nan", "high", "low", "none"]
    assert list(client.search_runs(order_by=["metrics.auc"])["name"]) == ["low", "high", "nan", "none"]
    assert list(client.search_runs("metrics.auc > 0.5", order_by=["metrics.auc desc"])["name"]) == ["high"]  # NaN is not above 0.5
