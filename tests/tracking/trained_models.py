"""Small trained models and data shared by the registry tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def frame(rows: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"age": rng.integers(18, 80, rows).astype("int64"), "income": rng.normal(50, 10, rows),
                      "tenure": rng.random(rows)})
    y = pd.Series(((x["income"] > 50) ^ (x["tenure"] > 0.7)).astype("int64"), name="churn")
    return x, y


def pipeline(seed: int = 0) -> tuple[Any, pd.DataFrame, pd.Series]:
    """A fitted scaler + logistic-regression pipeline and its data."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = frame(seed=seed)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y), x, y


def forest(seed: int = 0) -> tuple[Any, pd.DataFrame, pd.Series]:
    from sklearn.ensemble import RandomForestClassifier

    x, y = frame(seed=seed)
    return RandomForestClassifier(n_estimators=4, max_depth=3, random_state=seed).fit(x, y), x, y
