"""A store with served models, built once per session and copied for tests that change it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest

SERVE_TIMEOUT = 120


def _build_store(directory: Path) -> None:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from mlm_jupyter.tracking.client import MlmClient

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(18, 80, 300), "income": rng.normal(50, 10, 300)})
    y = ((X.income > 50) ^ (X.age > 60)).astype(int)
    client = MlmClient(directory)
    try:
        run_id = client.create_run(experiment="serve-tests").id
        client.log_model(run_id, LogisticRegression().fit(X, y), "churn", input_example=X[:5])
        client.log_model(run_id, DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), "churn",
                         input_example=X[:5])
        client.log_model(run_id, LogisticRegression().fit(X, y), "pickled", input_example=X[:5], flavor="pickle")
        client.set_alias("churn", "production", 1)
        client.set_alias("churn", "challenger", 2)
        client.end_run(run_id)
    finally:
        client.close()


@pytest.fixture(scope="session")
def model_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed store: churn v1 (@production, logistic), v2 (@challenger, tree); pickled v1 (pickle flavor)."""
    directory = tmp_path_factory.mktemp("served") / "store"
    _build_store(directory)
    return directory


@pytest.fixture
def store_copy(model_store: Path, tmp_path: Path) -> Callable[[], Path]:
    """A private copy of ``model_store`` for a test that moves aliases or damages files."""
    def copy() -> Path:
        target = tmp_path / "store"
        shutil.copytree(model_store, target)
        return target
    return copy
