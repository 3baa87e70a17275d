"""The server's store counts a search's matches once per filter until the next write."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from mlm_jupyter.server.owner import OwnerStore
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.domains import runs as runs_domain
from mlm_jupyter.tracking.client import MlmClient

FILTER = "metrics.acc > 0.5"


@pytest.fixture
def owner(tmp_path: Path) -> Any:
    store = OwnerStore(tmp_path / "store")
    client = MlmClient(store)
    client.import_runs({"run_id": f"r{i:02d}", "experiment": "e", "name": f"run-{i}", "status": "finished",
                        "start_time": 1_700_000_000.0 + i, "metrics": {"acc": i / 40}} for i in range(40))
    yield store
    client.close()


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The count queries the runs domain runs (their filters)."""
    seen: list[str] = []
    real = runs_domain._count

    def spy(s: Any, where_sql: str, params: list[Any]) -> int:
        seen.append(where_sql)
        return real(s, where_sql, params)

    monkeypatch.setattr(runs_domain, "_count", spy)
    return seen


def page(store: OwnerStore, **args: Any) -> dict[str, Any]:
    return store.read("search_runs", **{"filter": FILTER, "max_results": 5, **args})  # type: ignore[no-any-return]


def test_sorting_and_paging_a_filtered_list_count_it_once(owner: OwnerStore, counts: list[str]) -> None:
    first = page(owner)
    assert first["total"] == 19 and len(counts) == 1
    later = [page(owner, offset=5), page(owner, order_by=["metrics.acc desc"]), page(owner, offset=10),
             page(owner, order_by=["attributes.name asc"], offset=5)]
    assert [p["total"] for p in later] == [19] * 4
    assert len(counts) == 1  # every later page reused the count
    assert page(owner, filter="metrics.acc > 0.8")["total"] == 7 and len(counts) == 2  # another filter: counted
    assert page(owner, experiments=["other"])["total"] == 0  # another experiment list is another count
    ids = page(owner, order_by=["metrics.acc desc"], max_results=3)["runs"].column("run_id").to_pylist()
    assert ids == ["r39", "r38", "r37"]  # the page itself is read every time


def test_a_write_makes_the_next_search_count_again(owner: OwnerStore, counts: list[str]) -> None:
    assert page(owner)["total"] == 19
    owner.write(WriteBatch.of(Op("create_run", {"run_id": "new", "experiment": "e", "name": "new",
                                                "start_time": time.time()})))
    assert page(owner)["total"] == 19 and len(counts) == 2  # counted again (the new run has no acc yet)
    owner.write(WriteBatch.of(Op("log_metrics", {"points": pa.table({
        "run_id": ["new"], "key": ["acc"], "step": [0], "value": [0.99], "time": [time.time()]})})))
    assert page(owner)["total"] == 20 and len(counts) == 3
    assert page(owner, offset=5)["total"] == 20 and len(counts) == 3


def test_a_failed_write_also_drops_the_cached_counts(owner: OwnerStore, counts: list[str]) -> None:
    page(owner)
    with pytest.raises(Exception):
        owner.write(WriteBatch.of(Op("end_run", {"run_id": "no-such-run", "status": "finished"})))
    page(owner)
    assert len(counts) == 2


def test_malformed_search_arguments_are_refused_not_cached(owner: OwnerStore) -> None:
    from mlm_jupyter.core.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        owner.read("search_runs", filter=FILTER, experiments=[["not", "a", "name"]], max_results=5)


def test_a_filter_on_a_running_runs_duration_is_counted_every_time(owner: OwnerStore) -> None:
    """``attributes.duration`` of a run still running grows with the clock: no write, yet more matches."""
    now = time.time()
    owner.write(WriteBatch.of(*(Op("create_run", {"run_id": f"live{i}", "experiment": "e", "name": f"live{i}",
                                                  "start_time": now - age}) for i, age in enumerate((60, 1, 1)))))
    by_age = "attributes.duration > 1.5 and attributes.name like 'live%'"
    assert page(owner, filter=by_age, max_results=1)["total"] == 1
    time.sleep(0.7)  # two more runs are now older than 1.5 s, and nothing was written
    assert page(owner, filter=by_age, max_results=1, offset=1)["total"] == 3  # not the 1 counted a moment ago


def test_the_widget_and_sidebar_page_shares_the_count_cache(owner: OwnerStore, counts: list[str]) -> None:
    assert page(owner)["total"] == 19 and len(counts) == 1
    plain = owner.read("runs_page", filter=FILTER, max_results=5)  # a full page: its total is a count ...
    assert plain["total"] == 19 and len(counts) == 1  # ... search_runs' one, reused
    assert [run["id"] for run in plain["runs"]] == ["r39", "r38", "r37", "r36", "r35"]
    other = owner.read("runs_page", filter="metrics.acc > 0.8", max_results=5)
    assert other["total"] == 7 and len(counts) == 2  # a new filter: counted once ...
    assert page(owner, filter="metrics.acc > 0.8")["total"] == 7 and len(counts) == 2  # ... for both reads
    owner.write(WriteBatch.of(Op("create_run", {"run_id": "new", "experiment": "e", "name": "new",
                                                "start_time": time.time()})))
    assert owner.read("runs_page", filter=FILTER, max_results=5)["total"] == 19 and len(counts) == 3
