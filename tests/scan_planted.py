"""Synthetic data and models with one planted problem each (shared by the scan tests and benchmarks/bench_scan.py).

Every case returns a ``Case``: the model, train and test data, the sensitive
column, and which check should find the problem (``None`` for the clean case).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

FEATURES = ["f0", "f1", "f2", "f3", "f4", "f5"]


@dataclass
class Case:
    name: str
    model: Any
    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    expect: str | None  # the check that must find it
    code: str | None = None  # the finding code expected
    sensitive: list[str] = field(default_factory=lambda: ["group"])
    baseline: Any = None


def pipeline(estimator: Any, columns: list[str]) -> Any:
    """A scikit-learn Pipeline that keeps ``columns`` of a frame and fits ``estimator`` on them."""
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    return Pipeline([("columns", ColumnTransformer([("keep", "passthrough", columns)])), ("model", estimator)])


class Tampered:
    """Wraps a fitted classifier and changes its output: shift a group's scores, sharpen, or flip a slice."""

    def __init__(self, base: Any, *, shift_group: str | None = None, shift: float = 0.0,
                 temperature: float = 1.0, flip_slice: tuple[str, str] | None = None, flip_rate: float = 0.0) -> None:
        self.base, self.shift_group, self.shift = base, shift_group, shift
        self.temperature, self.flip_slice, self.flip_rate = temperature, flip_slice, flip_rate
        self.classes_ = base.classes_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.clip(self.base.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
        logit = np.log(p / (1 - p)) / self.temperature
        if self.shift_group is not None:
            logit = logit + np.where(X["group"].to_numpy() == self.shift_group, self.shift, 0.0)
        if self.flip_slice is not None:
            column, value = self.flip_slice
            key = pd.util.hash_pandas_object(X[FEATURES].round(6), index=False).to_numpy() % 1000 / 1000.0
            flip = (X[column].to_numpy() == value) & (key < self.flip_rate)
            logit = np.where(flip, -logit, logit)
        p = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def clean_data(seed: int, n_train: int = 3000, n_test: int = 1500) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame,
                                                                             np.ndarray]:
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    X = pd.DataFrame(rng.normal(size=(n, len(FEATURES))), columns=FEATURES)
    X["region"] = rng.choice(["north", "south", "east", "west"], n)
    X["group"] = rng.choice(["A", "B"], n, p=[0.6, 0.4])
    logit = 1.2 * X.f0 - 1.0 * X.f1 + 0.7 * X.f2 - 0.5 * X.f3 + 0.3 * (X.region == "east")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).to_numpy().astype(int)
    return (X.iloc[:n_train].reset_index(drop=True), y[:n_train], X.iloc[n_train:].reset_index(drop=True),
            y[n_train:])


def _logistic(X: pd.DataFrame, y: np.ndarray, columns: list[str] = FEATURES) -> Any:
    return pipeline(LogisticRegression(max_iter=500), columns).fit(X, y)


def clean(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    return Case("clean", _logistic(Xtr, ytr), Xtr, ytr, Xte, yte, None)


def overfit(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    rng = np.random.default_rng(seed + 1)
    noisy = np.where(rng.random(len(ytr)) < 0.2, 1 - ytr, ytr)
    model = pipeline(DecisionTreeClassifier(random_state=seed), FEATURES).fit(Xtr, noisy)
    return Case("overfit deep tree", model, Xtr, noisy, Xte, yte, "overfitting", "overfitting.train_test_gap")


def overfit_boosting(seed: int = 0) -> Case:
    from sklearn.ensemble import GradientBoostingClassifier

    Xtr, ytr, Xte, yte = clean_data(seed, n_train=1500, n_test=1500)
    rng = np.random.default_rng(seed + 2)
    noisy = np.where(rng.random(len(ytr)) < 0.25, 1 - ytr, ytr)
    model = pipeline(GradientBoostingClassifier(n_estimators=300, learning_rate=0.3, max_depth=4,
                                                random_state=seed), FEATURES).fit(Xtr, noisy)
    return Case("overfit boosting (curve turns)", model, Xtr, noisy, Xte, yte, "overfitting", "overfitting.curve_turn")


def constant(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    model = pipeline(DummyClassifier(strategy="most_frequent"), FEATURES).fit(Xtr, ytr)
    return Case("constant predictor", model, Xtr, ytr, Xte, yte, "underfitting", "underfitting.no_better_than_baseline")


def biased(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    model = Tampered(_logistic(Xtr, ytr), shift_group="B", shift=-1.5)
    return Case("biased against group B", model, Xtr, ytr, Xte, yte, "bias", "bias.selection_rate")


def duplicated(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    rng = np.random.default_rng(seed + 3)
    copies = rng.choice(len(Xtr), 450, replace=False)
    Xte = pd.concat([Xte.iloc[: len(Xte) - 450], Xtr.iloc[copies]], ignore_index=True)
    yte = np.concatenate([yte[: len(yte) - 450], ytr[copies]])
    return Case("rows duplicated across splits", _logistic(Xtr, ytr), Xtr, ytr, Xte, yte, "leakage",
                "leakage.shared_rows")


def leaky(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    rng = np.random.default_rng(seed + 4)
    Xtr = Xtr.assign(refund_issued=ytr + rng.normal(0, 0.05, len(ytr)))
    Xte = Xte.assign(refund_issued=yte + rng.normal(0, 0.05, len(yte)))
    model = _logistic(Xtr, ytr, FEATURES + ["refund_issued"])
    return Case("leaky feature", model, Xtr, ytr, Xte, yte, "leakage", "leakage.single_feature")


def fragile(seed: int = 0) -> Case:
    rng = np.random.default_rng(seed)
    Xtr, _, Xte, _ = clean_data(seed)
    stripes = lambda X: (np.floor(X.f0.to_numpy() * 40) % 2).astype(int)  # noqa: E731
    ytr, yte = stripes(Xtr), stripes(Xte)
    ytr = np.where(rng.random(len(ytr)) < 0.02, 1 - ytr, ytr)
    model = pipeline(DecisionTreeClassifier(random_state=seed, min_samples_leaf=1), FEATURES).fit(Xtr, ytr)
    return Case("fragile model", model, Xtr, ytr, Xte, yte, "fragility", "fragility.perturbation")


def worse_challenger(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    champion = _logistic(Xtr, ytr)
    challenger = _logistic(Xtr, ytr, ["f2", "f3"])
    return Case("worse challenger", challenger, Xtr, ytr, Xte, yte, "regression", "regression.worse_than_champion",
                baseline=champion)


def miscalibrated(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    model = Tampered(_logistic(Xtr, ytr), temperature=0.25)
    return Case("miscalibrated", model, Xtr, ytr, Xte, yte, "calibration", "calibration.overconfident")


def bad_slice(seed: int = 0) -> Case:
    Xtr, ytr, Xte, yte = clean_data(seed)
    model = Tampered(_logistic(Xtr, ytr), flip_slice=("region", "south"), flip_rate=0.6)
    return Case("slice with planted errors", model, Xtr, ytr, Xte, yte, "slices", "slices.underperforming")


PLANTED = [overfit, overfit_boosting, constant, biased, duplicated, leaky, fragile, worse_challenger, miscalibrated,
           bad_slice]
