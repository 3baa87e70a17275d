"""What every scan check reads: the task, the features and their kinds, labels and predictions.

``ScanInputs`` is built once per scan (by ``tracking.scan``, which calls the
model); the checks are pure functions of it. Tasks are ``binary``,
``multiclass`` or ``regression``; the main metric is accuracy for
classifiers and R² for regressors, and the per-row loss used by slices and
bias is the error indicator or the absolute error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["TASKS", "ScanInputs", "feature_kinds", "infer_task", "main_score", "row_loss", "as_frame"]

TASKS = ("binary", "multiclass", "regression")
Array = np.ndarray[Any, Any]


def as_frame(X: Any) -> pd.DataFrame:
    """Features as a DataFrame (numpy columns become ``x0, x1, ...``; a Series becomes one column)."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame(name=str(X.name) if X.name is not None else "x0")
    if hasattr(X, "to_pandas") and not isinstance(X, np.ndarray):  # polars, Arrow
        frame = X.to_pandas()
        if isinstance(frame, pd.DataFrame):
            return frame
    array = np.asarray(X)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise InvalidInputError(f"features must be a table (2 dimensions), got an array of shape {array.shape}")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def infer_task(y: Array, classes: Any = None) -> str:
    """``binary``/``multiclass`` when the model has classes or the labels look categorical, else ``regression``."""
    if classes is not None:
        return "binary" if len(classes) <= 2 else "multiclass"
    y = np.asarray(y)
    if y.dtype.kind in "fc":
        finite = y[np.isfinite(y)] if y.dtype.kind == "f" else y
        if len(np.unique(finite)) > 20 or not np.all(np.equal(np.mod(finite, 1), 0)):
            return "regression"
    if y.dtype.kind in "iu" and len(np.unique(y)) > 20:
        return "regression"
    return "binary" if len(np.unique(y.astype(str) if y.dtype.kind == "O" else y)) <= 2 else "multiclass"


def feature_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """``numeric``, ``categorical`` (few values, strings, booleans) or ``text`` (long free strings) per column."""
    kinds: dict[str, str] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            kinds[str(column)] = "categorical"
        elif pd.api.types.is_numeric_dtype(series):
            distinct = series.nunique(dropna=True)
            kinds[str(column)] = "categorical" if distinct <= 10 and pd.api.types.is_integer_dtype(series) \
                else "numeric"
        else:
            sample = series.dropna().astype(str).head(2000)
            if len(sample) and (sample.str.len().mean() > 25 or sample.str.contains(" ").mean() > 0.5) \
                    and sample.nunique() > 0.5 * len(sample):
                kinds[str(column)] = "text"
            else:
                kinds[str(column)] = "categorical"
    return kinds


def main_score(task: str, y: Array, pred: Array) -> float:
    """Accuracy for classifiers, R² for regressors."""
    y, pred = np.asarray(y), np.asarray(pred)
    if len(y) == 0:
        return float("nan")
    if task == "regression":
        y, pred = y.astype(float), pred.astype(float)
        total = float(np.sum((y - y.mean()) ** 2))
        return 1.0 - float(np.sum((y - pred) ** 2)) / total if total > 0 else float("nan")
    return float(np.mean(y == pred))


def row_loss(task: str, y: Array, pred: Array) -> Array:
    """Per-row loss: 1.0 for a wrong class (0.0 right), the absolute error for regressors."""
    if task == "regression":
        out: Array = np.abs(np.asarray(y, dtype=float) - np.asarray(pred, dtype=float))
        return out
    wrong: Array = (np.asarray(y) != np.asarray(pred)).astype(float)
    return wrong


@dataclass
class ScanInputs:
    """The scanned model's predictions on the test (and train) data, and what the checks need to know."""

    task: str
    X_test: pd.DataFrame
    y_test: Array
    pred_test: Array
    proba_test: Array | None = None
    classes: Array | None = None
    X_train: pd.DataFrame | None = None
    y_train: Array | None = None
    pred_train: Array | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    sensitive: tuple[str, ...] = ()
    predict: Callable[[pd.DataFrame], Array] | None = None
    seed: int = 0
    y_train_scored: Array | None = None  # labels of the training rows ``pred_train`` covers (a sample of big data)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise InvalidInputError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        if not self.kinds:
            self.kinds = feature_kinds(self.X_test)

    @property
    def n(self) -> int:
        return len(self.y_test)

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    @property
    def metric_name(self) -> str:
        return "R²" if self.task == "regression" else "accuracy"

    @property
    def positive(self) -> Any:
        """The positive class of a binary task: ``1``/``True`` when present, else the last class."""
        labels = list(self.classes) if self.classes is not None else sorted(np.unique(self.y_test).tolist())
        for candidate in (1, True, "1", "yes", "true", "positive"):
            if candidate in labels:
                return candidate
        return labels[-1]

    def rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng(self.seed * 1_000_003 + salt)

    def test_loss(self) -> Array:
        return row_loss(self.task, self.y_test, self.pred_test)

    def test_score(self) -> float:
        return main_score(self.task, self.y_test, self.pred_test)
