"""mlm.drift(...): the shared drift view's data (report, drift per period, live performance) and its fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mlm_jupyter as mlm
from mlm_jupyter.tracking.client import MlmClient


def test_the_drift_widget_shows_the_verdict_and_follows_the_window(client: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    train = pd.DataFrame({"income": rng.normal(50, 10, 3000), "tenure": rng.random(3000)})
    model = LogisticRegression().fit(train, (train["income"] > 50).astype(int))
    with mlm.start_run():
        mlm.log_input(train, name="train", role="train")
        version = mlm.log_model(model, name="churn", input_example=train[:3])
    mlm.set_alias("churn", "production", version.version)
    mon = mlm.monitor("churn@production")
    served = pd.DataFrame({"income": rng.normal(75, 10, 2000), "tenure": rng.random(2000)})
    ids = [str(i) for i in range(2000)]
    mon.log(served, model.predict(served), ids=ids)
    mon.log_labels(ids, np.ones(2000, dtype=int))
    mon.close()

    panel = mlm.drift("churn@production", window="1h")
    assert panel.view == "drift"
    assert panel.report is not None and panel.report.drifted_features == ["income"]
    data = panel.report_data
    assert data["verdict"] == panel.report.verdict and [f["feature"] for f in data["features"] if f["drifted"]] == ["income"]
    assert set(data["distributions"]) >= {"income", "tenure"}
    logged = [w for w in panel.history if w["rows"]]  # periods on the UTC hour grid: the one with the logs
    assert len(logged) == 1 and logged[0]["rows"] == 2000 and logged[0]["drift_share"] == 0.5
    assert all(w["verdict"] == "no data" for w in panel.history if not w["rows"])
    assert panel.performance and panel.performance[0]["labelled"] == 2000 and "accuracy" in panel.performance[0]
    panel.window = "1d"  # another window recomputes
    assert panel.report.end - panel.report.start == 86400
    assert sum(w["rows"] for w in panel.history) == 2000 and len(panel.history) in (24, 25)  # hourly over a day (grid)
    answer = panel.load("1h")  # what the front end calls
    assert answer["verdict"] == panel.report.verdict and panel.window == "1h"
    assert "churn v1" in panel._repr_html_()
    bundle = panel._repr_mimebundle_()
    data_bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "churn v1" in data_bundle["text/html"]
    assert "income" in data_bundle["text/plain"]
    assert drift_figure_ok(panel)

    missing = mlm.drift("churn/1", reference="no-such-dataset")
    assert missing.report is None and "no-such-dataset" in missing.error and missing.report_data == {}
    assert "no-such-dataset" in missing._repr_html_()


def drift_figure_ok(panel) -> bool:
    from mlm_jupyter.widgets.drift import drift_figure

    figure = drift_figure(panel.report)
    return list(figure.data[0].x) == ["income", "tenure", "__prediction"]


def test_a_version_with_no_monitoring_data_says_so(client: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    train = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
    with mlm.start_run():
        mlm.log_input(train, name="train", role="train")
        version = mlm.log_model(LogisticRegression().fit(train, (train["a"] > 0.5).astype(int)), name="quiet",
                                input_example=train[:3])
    mlm.set_alias("quiet", "production", version.version)
    panel = mlm.drift("quiet@production")
    assert panel.report is not None and panel.report.verdict == "no data"
    assert all(w["rows"] == 0 for w in panel.history) and panel.performance == []
    from mlm_jupyter.tracking.version_health import health

    summary = health(client, "quiet")
    assert summary["versions"] == [{"version": 1, "aliases": ["production"], "rows": 0, "last_logged": None,
                                    "verdict": "no data", "window": None}]
