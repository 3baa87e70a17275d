"""Two processes registering versions of one model at the same time get distinct version numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient

REGISTER = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    import mlm_jupyter as mlm
    from mlm_jupyter.store.duckdb_store import DuckDbStore

    # release the file after every operation so the two writers really interleave
    mlm.set_client(mlm.MlmClient(DuckDbStore(os.environ["MLM_STORE"], hold_seconds=0.0)))

    start_at, count = float(sys.argv[1]), int(sys.argv[2])
    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    with mlm.start_run(experiment="concurrent") as run:
        time.sleep(max(0.0, start_at - time.time()))
        versions = [mlm.log_model(model, name="shared").version for _ in range(count)]
    print(json.dumps({"run_id": run.id, "versions": versions}))
""")


def test_two_processes_get_distinct_version_numbers(store_dir: Path) -> None:
    count = 6
    start_at = time.time() + 4.0  # both interpreters are up and importing by then
    env = {**os.environ, "MLM_STORE": str(store_dir)}
    children = [subprocess.Popen([sys.executable, "-c", REGISTER, str(start_at), str(count)], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=180)
        assert child.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    first, second = (set(r["versions"]) for r in results)
    assert len(first) == count and len(second) == count
    assert not first & second
    assert first | second == set(range(1, 2 * count + 1))

    client = MlmClient(store_dir)
    try:
        mlm.set_client(client)
        versions = mlm.model_versions("shared")
        assert [v.version for v in versions] == list(range(1, 2 * count + 1))
        owner = {v: r["run_id"] for r in results for v in r["versions"]}
        assert all(v.run_id == owner[v.version] for v in versions)
        created = mlm.model_history("shared")
        assert created["action"].tolist() == ["version_created"] * (2 * count)
    finally:
        mlm.set_client(None)
        client.close()
