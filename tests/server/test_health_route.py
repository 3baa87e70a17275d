"""GET /mlm/api/models/{name}/monitor/health on a real in-process Jupyter server: the registry's health badges."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


async def test_each_aliased_version_gets_its_last_window_verdict(api: Any, mlm_app: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    from mlm_jupyter.tracking.monitor import Monitor

    client = mlm_app.context.client
    rng = np.random.default_rng(5)
    train = pd.DataFrame({"income": rng.normal(50, 10, 2000), "tenure": rng.random(2000)})
    model = LogisticRegression().fit(train, (train["income"] > 50).astype(int))
    for version in (1, 2, 3):
        run = client.create_run("health", f"v{version}")
        client.log_input(run.id, train, name="train", role="train")
        client.log_model(run.id, model, "health-m", input_example=train[:3])
        client.end_run(run.id)
    client.set_alias("health-m", "production", 1, reason="r")
    client.set_alias("health-m", "champion", 1, reason="r")
    client.set_alias("health-m", "staging", 2, reason="r")
    mon = Monitor("models:/health-m@production", client=client)
    served = pd.DataFrame({"income": rng.normal(90, 10, 1500), "tenure": rng.random(1500)})
    mon.log(served, model.predict(served))
    mon.close()

    status, body = await api("models", "health-m", "monitor", "health")

    assert status == 200 and body["name"] == "health-m"
    versions = {v["version"]: v for v in body["versions"]}
    assert set(versions) == {1, 2}  # version 3 has no alias: no badge
    assert versions[1]["aliases"] == ["champion", "production"] and versions[1]["rows"] == 1500
    assert "drift" in versions[1]["verdict"] and versions[1]["drifted_features"] == ["income"]
    assert versions[1]["window"]["end"] and versions[1]["last_logged"]
    assert versions[2] == {"version": 2, "aliases": ["staging"], "rows": 0, "last_logged": None,
                           "verdict": "no data", "window": None}
    again = await api("models", "health-m", "monitor", "health")  # cached per batch of logs: the same answer
    assert again == (status, body)

    status, body = await api("models", "no-such-model", "monitor", "health")
    assert status == 404 and body["code"] == "NOT_FOUND"
