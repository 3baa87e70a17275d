"""The active-run stack is per thread (as in MLflow): threads never log into each other's runs."""

from __future__ import annotations

import threading

import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import NoActiveRunError
from mlm_jupyter.tracking.client import MlmClient


def test_two_threads_each_get_their_own_run(client: MlmClient) -> None:
    barrier = threading.Barrier(2)
    run_ids: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            with mlm.start_run(experiment="threads", name=f"thread-{i}") as run:
                run_ids[i] = run.id
                barrier.wait(timeout=30)  # both runs are open at once
                mlm.log_param("who", i)
                mlm.log_metric("i", float(i))
                barrier.wait(timeout=30)
        except BaseException as error:  # noqa: BLE001 -- reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert run_ids[0] != run_ids[1]
    for i in range(2):
        run = client.get_run(run_ids[i])
        assert run.status == "finished", run.status_reason
        assert run.params == {"who": str(i)}
        assert run.metrics == {"i": float(i)}
        assert run.parent_run_id is None  # neither thread nested into the other's run
    assert mlm.active_run() is None  # the main thread never had a run


def test_a_thread_does_not_see_the_main_threads_run(client: MlmClient) -> None:
    seen: list[object] = []
    with mlm.start_run(experiment="threads") as run:
        def look() -> None:
            seen.append(mlm.active_run())
            try:
                mlm.log_param("from_thread", 1)
            except NoActiveRunError as error:
                seen.append(error)

        thread = threading.Thread(target=look)
        thread.start()
        thread.join(timeout=30)
        assert mlm.active_run() is not None and mlm.active_run().id == run.id
    assert seen[0] is None and isinstance(seen[1], NoActiveRunError)
    assert client.get_run(run.id).params == {}


def test_a_child_thread_logs_into_a_run_it_is_handed(client: MlmClient) -> None:
    with mlm.start_run(experiment="threads") as run:
        def worker(i: int) -> None:
            with mlm.use_run(run):  # this thread's log_* calls go to the handed run; it is not ended here
                mlm.log_metric("part", float(i), step=i)
                mlm.set_tag(f"worker{i}", "done")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        explicit = threading.Thread(target=lambda: mlm.get_client().log_param(run.id, "explicit", "yes"))
        explicit.start()
        explicit.join(timeout=30)
        assert mlm.get_run(run.id).status == "running"  # use_run left the run open
    stored = client.get_run(run.id)
    assert stored.status == "finished"
    assert stored.tags.items() >= {"worker0": "done", "worker1": "done", "worker2": "done"}.items()
    assert stored.params == {"explicit": "yes"}
    assert sorted(client.get_metric_history(run.id, "part")["step"]) == [0, 1, 2]


def test_use_run_refuses_what_is_not_a_run(client: MlmClient) -> None:
    with pytest.raises(mlm.MlmError):
        with mlm.use_run(42):  # type: ignore[arg-type]
            pass
