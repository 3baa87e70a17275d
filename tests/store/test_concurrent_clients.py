"""Two clients of one store in one process, writing from two threads at once, lose nothing."""

from __future__ import annotations

import threading
from pathlib import Path

from mlm_jupyter.tracking.client import MlmClient


def test_two_clients_in_two_threads_on_a_fresh_store_keep_every_write(tmp_path: Path) -> None:
    # both open the fresh store at once (migrations) and each brings new keys (typed search columns: ALTER TABLE)
    clients = {"a": MlmClient(tmp_path / "store"), "b": MlmClient(tmp_path / "store")}
    errors: list[BaseException] = []
    made: dict[str, list[str]] = {"a": [], "b": []}

    def sweep(name: str) -> None:
        client = clients[name]
        try:
            for i in range(25):
                run = client.create_run("race")
                client.log_params(run.id, {f"k{i}": name, f"{name}{i}": i})
                client.log_metric(run.id, f"m{i}", float(i))
                client.flush()
                made[name].append(run.id)
        except BaseException as error:  # noqa: BLE001 -- reported below
            errors.append(error)

    threads = [threading.Thread(target=sweep, args=(name,)) for name in clients]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert errors == []
        assert len(made["a"]) == len(made["b"]) == 25
        reader = clients["a"]
        for i in range(25):
            assert sorted(reader.search_runs(f"params.k{i} != 'none' and metrics.m{i} >= 0")["run_id"]) == sorted(
                [made["a"][i], made["b"][i]])
    finally:
        for client in clients.values():
            client.close()
