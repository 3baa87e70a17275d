"""A plain Python process (no Jupyter imported) logs inference through the server that owns the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

import mlm_jupyter as mlm
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient

sys.path.insert(0, str(Path(__file__).parent))
from server_process import JupyterServerProcess  # noqa: E402

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import json, sys, numpy as np, pandas as pd, mlm_jupyter as mlm
    mon = mlm.monitor("churn@production")
    kind = type(mon.client.store).__name__
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(70, 10, 3000), "tenure": rng.random(3000)})
    ids = [f"r{i}" for i in range(3000)]
    mon.log(X[:1500], (X.income[:1500] > 50).astype(int), ids=ids[:1500])
    mon.log(X[1500:], (X.income[1500:] > 50).astype(int), ids=ids[1500:])
    mon.log_labels(ids[::-1], np.ones(3000, dtype=int))
    report = mon.report("1h")
    perf = mon.performance("1h")
    history = mon.drift_history("3h", "1h")
    print(json.dumps({"store": kind, "verdict": report.verdict, "rows": report.rows,
                      "history": [int(r) for r in history["rows"]], "history_alarm": bool(history["alarm"].iloc[-1]),
                      "drifted": report.drifted_features, "labelled": int(perf["labelled"].sum()),
                      "jupyter": [m for m in ("IPython", "jupyter_server", "tornado") if m in sys.modules]}))
""")


def test_a_plain_process_logs_through_the_owning_server(tmp_path: Path, store_dir: Path) -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"income": rng.normal(50, 10, 3000), "tenure": rng.random(3000)})
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(train, (train["income"] > 50).astype(int))
    client = MlmClient(store_dir)
    fluent.set_client(client)
    with mlm.start_run():
        mlm.log_input(train, name="train", role="train")
        version = mlm.log_model(model, name="churn", input_example=train[:3])
    mlm.set_alias("churn", "production", version.version)
    fluent.set_client(None)
    client.close()

    server = JupyterServerProcess(tmp_path / "server", store_dir).start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("MLM_NO_SERVER", "JPY_PARENT_PID")}
        done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180,
                              env={**env, "MLM_STORE": str(store_dir)})
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["store"] == "RestStore" and result["jupyter"] == []
        assert result["rows"] == 3000 and result["drifted"] == ["income"] and result["labelled"] == 3000
        # 3h before now on the hour grid: 4 periods unless now is on the hour; the rows are all in the last one
        assert result["history"][-1] == 3000 and set(result["history"][:-1]) == {0} and result["history_alarm"]
        # the server wrote the partitions and its own summaries
        assert list((store_dir / "monitoring" / "inference" / "model=churn" / "version=1").rglob("*.parquet"))
        assert list((store_dir / "monitoring" / "summaries" / "model=churn").rglob("*.json"))
        report = server.get("mlm/api/models/churn/monitor/report?alias=production&window=1h")
        assert report.status_code == 200 and report.json()["rows"] == 3000
        page = server.get("mlm/api/models/churn/monitor/report?version=1&window=1h&format=html")
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        listed = server.get("mlm/api/monitor").json()["versions"]
        assert listed == [{"model": "churn", "version": 1, "aliases": ["production"], "rows": 3000,
                           "last_logged": listed[0]["last_logged"]}]
        history = server.get("mlm/api/models/churn/monitor/history?alias=production&window=2h&every=1h").json()
        assert history["schema"] == "mlm.drift_history/1" and history["every_seconds"] == 3600
        assert [w["rows"] for w in history["windows"]][-1] == 3000 and len(history["windows"]) in (2, 3)
        assert history["windows"][-1]["drifted_features"] == ["income"] and history["windows"][0]["verdict"] == "no data"
        bad = server.get("mlm/api/models/churn/monitor/history?version=1&every=1s")
        assert bad.status_code == 400
        for route in ("report", "history"):
            anonymous = requests.get(server.url + f"mlm/api/models/churn/monitor/{route}", timeout=30)
            assert anonymous.status_code in (401, 403)
        spoofed = requests.post(server.url + "mlm/api/models/churn/monitor/log?version=1", data=b"not arrow",
                                headers=server.headers, timeout=30)
        assert spoofed.status_code == 400 and "Arrow" in spoofed.json()["message"]
        unknown = server.get("mlm/api/models/nope/monitor/report")
        assert unknown.status_code == 404
    finally:
        server.stop()
