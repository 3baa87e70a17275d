"""mlm.drift(...): the report's table and charts in an ipywidget, refreshed on demand."""

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
    assert panel.report is not None and panel.report.drifted_features == ["income"]
    assert "income" in panel.html.value and "drift" in panel.html.value
    assert len(panel.chart.data) == 1 and len(panel.performance.data) == 1
    assert list(panel.chart.data[0].x) == ["income", "tenure", "__prediction"]
    panel.window.value = "1d"  # another window recomputes
    assert panel.report.end - panel.report.start == 86400
    assert "churn v1" in panel._repr_html_()

    missing = mlm.drift("churn/1", reference="no-such-dataset")
    assert missing.report is None and "no-such-dataset" in missing.html.value
