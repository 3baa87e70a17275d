"""Comparing two models on the same rows: agreement, and the paired difference of a metric with its CI.

Pure functions over numpy arrays. ``a`` and ``b`` scored the same inputs
(a served model and its shadow), so their per-row losses are paired: the
difference's confidence interval uses the spread of the per-row differences,
which is far tighter than comparing two independent means.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["METRICS", "PairedComparison", "compare_paired", "wilson_interval"]

#: accuracy: share right (higher is better); mae, mse: mean absolute / squared error (lower is better)
METRICS = ("accuracy", "mae", "mse")


@dataclass(frozen=True)
class PairedComparison:
    """What ``compare_paired`` found. Differences are ``a - b``; ``None`` where nothing could be computed."""

    a: str
    b: str
    paired_rows: int
    agreement: float | None
    agreement_low: float | None
    agreement_high: float | None
    confidence: float
    labelled_rows: int = 0
    metric: str | None = None
    metric_a: float | None = None
    metric_b: float | None = None
    difference: float | None = None
    difference_low: float | None = None
    difference_high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """A few lines for people."""
        level = f"{self.confidence:.0%}"
        if not self.paired_rows:
            return f"{self.a} and {self.b} scored no rows in common (nothing to compare yet)"
        lines = [f"{self.a} vs {self.b}: {self.paired_rows} rows scored by both",
                 f"agreement {self.agreement:.4f} ({level} CI {self.agreement_low:.4f} .. {self.agreement_high:.4f})"]
        if self.metric is None:
            lines.append("no labels yet for these rows: log them with Monitor.log_labels(ids, y_true)")
        else:
            lines.append(f"{self.metric} on {self.labelled_rows} labelled rows: {self.a} {self.metric_a:.4f}, "
                         f"{self.b} {self.metric_b:.4f}")
            lines.append(f"difference ({self.a} - {self.b}) {self.difference:+.4f} "
                         f"({level} CI {self.difference_low:+.4f} .. {self.difference_high:+.4f})")
        return "\n".join(lines)


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise InvalidInputError(f"confidence is a level between 0 and 1 such as 0.95, not {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: int, total: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sound near 0 and 1, unlike the normal one)."""
    if total <= 0:
        raise InvalidInputError("a proportion needs at least one trial")
    z = _z(confidence)
    p = successes / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def _same(pred_a: np.ndarray[Any, Any], pred_b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if pred_a.dtype.kind == "f" or pred_b.dtype.kind == "f":
        try:
            close: np.ndarray[Any, Any] = np.isclose(pred_a.astype(float), pred_b.astype(float), rtol=1e-9,
                                                     atol=1e-12)
            return close
        except (TypeError, ValueError):
            pass
    return np.asarray(pred_a == pred_b, dtype=bool)


def _default_metric(labels: np.ndarray[Any, Any]) -> str:
    if labels.dtype.kind in "biuOSU":
        return "accuracy"
    finite = labels[np.isfinite(labels.astype(float))]
    return "accuracy" if finite.size and bool(np.all(finite == np.round(finite))) else "mae"


def _scores(metric: str, pred: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if metric == "accuracy":
        return _same(pred, labels).astype(float)
    error: np.ndarray[Any, Any] = pred.astype(float) - labels.astype(float)
    scores: np.ndarray[Any, Any] = np.abs(error) if metric == "mae" else error * error
    return scores


def compare_paired(pred_a: Any, pred_b: Any, labels: Any = None, *, a: str = "a", b: str = "b",
                   metric: str | None = None, confidence: float = 0.95) -> PairedComparison:
    """Agreement of ``pred_a`` and ``pred_b`` (same rows, same order) and, with ``labels`` (``None`` or NaN
    where a row has none), the paired difference ``metric(a) - metric(b)`` with a normal-approximation CI.

    ``metric``: ``accuracy`` (default for class labels), ``mae`` (default for continuous ones) or ``mse``.
    """
    if metric is not None and metric not in METRICS:
        raise InvalidInputError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    first, second = np.asarray(pred_a), np.asarray(pred_b)
    if first.shape[:1] != second.shape[:1]:
        raise InvalidInputError(f"the two prediction lists have {len(first)} and {len(second)} rows; pair them first")
    n = int(first.shape[0])
    z = _z(confidence)
    if n == 0:
        return PairedComparison(a, b, 0, None, None, None, confidence)
    agree = _same(first, second)
    low, high = wilson_interval(int(agree.sum()), n, confidence)
    result = PairedComparison(a, b, n, float(agree.mean()), low, high, confidence)
    if labels is None:
        return result
    truth = np.asarray(labels)
    has_label = np.array([value is not None and not (isinstance(value, float) and math.isnan(value))
                          for value in truth.tolist()], dtype=bool) if truth.dtype.kind in "fO" else \
        np.ones(n, dtype=bool)
    if not has_label.any():
        return result
    truth, first, second = truth[has_label], first[has_label], second[has_label]
    if truth.dtype.kind == "O":
        try:
            truth = truth.astype(float)
        except (TypeError, ValueError):
            truth = truth.astype(str)
            first, second = first.astype(str), second.astype(str)
    chosen = metric or _default_metric(truth)
    scores_a, scores_b = _scores(chosen, first, truth), _scores(chosen, second, truth)
    differences = scores_a - scores_b
    m = int(differences.size)
    mean = float(differences.mean())
    spread = float(differences.std(ddof=1)) if m > 1 else float("inf")
    half = z * spread / math.sqrt(m)
    return PairedComparison(a, b, n, result.agreement, low, high, confidence, labelled_rows=m, metric=chosen,
                            metric_a=float(scores_a.mean()), metric_b=float(scores_b.mean()), difference=mean,
                            difference_low=mean - half, difference_high=mean + half)
