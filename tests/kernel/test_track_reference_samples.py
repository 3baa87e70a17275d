"""A model registered from a ``%%track`` cell has a drift reference: the cell's input tables get a row sample."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import mlm_jupyter as mlm
from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.tracking import reference_samples
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.reference import reference_for


def test_a_model_trained_in_a_track_cell_is_judged_against_its_training_table(ip: Any, client: MlmClient) -> None:
    rng = np.random.default_rng(0)
    ip.user_ns["X_train"] = pd.DataFrame({"income": rng.normal(50, 10, 30_000), "tenure": rng.random(30_000),
                                          "plan": rng.choice(["a", "b"], 30_000)})
    ip.user_ns["y_train"] = (ip.user_ns["X_train"]["income"] > 50).astype(int)
    ip.user_ns["X_other"] = pd.DataFrame({"z": [1.0, 2.0]})  # read too, but not what the model was trained on
    result = ip.run_cell(
        "%%track -e refs -n fit\nimport mlm_jupyter as mlm\nfrom sklearn.linear_model import LogisticRegression\n"
        "n_other = len(X_other)\n"
        "model = LogisticRegression().fit(X_train[['income', 'tenure']], y_train)\n"
        "version = mlm.log_model(model, name='tracked', input_example=X_train[['income', 'tenure']][:3])",
        store_history=True)
    assert result.success, result.error_in_exec
    assert reference_samples.wait(60)
    version = client.get_model_version("tracked", 1)
    reference = reference_for(client, version)
    assert reference.dataset == "X_train" and reference.total_rows == 30_000
    assert reference.table.num_rows == 20_000 and set(reference.table.column_names) == {"income", "tenure", "plan"}
    # the report works with nothing passed in
    mon = mlm.monitor("models:/tracked/1")
    mon.log(ip.user_ns["X_train"][["income", "tenure"]][:2000] + 30, np.ones(2000, dtype=int))
    assert "income" in mon.report("1h").drifted_features
    mon.close()


def test_a_model_with_no_training_lineage_says_what_to_do(client: MlmClient) -> None:
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0]})
    version = mlm.log_model(LogisticRegression().fit(X, [0, 1, 0, 1]), name="orphan", input_example=X[:2])
    with pytest.raises(NotFoundError, match="reference="):
        reference_for(client, version)
    mon = mlm.monitor(f"models:/orphan/{version.version}")
    mon.log(X, [0, 1, 0, 1])
    with pytest.raises(NotFoundError, match="reference="):
        mon.report("1h")
    assert mon.report("1h", reference=X).rows == 4  # a reference passed in works
    mon.close()
