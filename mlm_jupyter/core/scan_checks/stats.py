"""The statistics the scan checks share: intervals, bootstrap draws and paired tests (numpy only).

Intervals default to 95 %. Bootstraps are seeded, so a scan of the same
data gives the same numbers. Where a statistic is a proportion or a mean
of a group, its bootstrap draws come straight from its sampling
distribution (binomial counts, normal means), which is what resampling the
group's rows converges to and costs nothing at 100k rows.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["bootstrap_mean_draws", "bootstrap_rate_draws", "mcnemar", "mean_ci", "paired_bootstrap",
           "percentile_ci", "proportion_z_test", "wilson", "z_value"]

Array = np.ndarray[Any, Any]


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile for ``confidence``."""
    return float(NormalDist().inv_cdf(0.5 + confidence / 2.0))


def wilson(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (well-behaved at 0 and 1 and for small n)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    z = z_value(confidence)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def mean_ci(values: Array, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and its normal-theory interval."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return (float("nan"), float("nan"), float("nan"))
    mean = float(values.mean())
    if n == 1:
        return (mean, mean, mean)
    se = float(values.std(ddof=1)) / math.sqrt(n)
    z = z_value(confidence)
    return (mean, mean - z * se, mean + z * se)


def percentile_ci(draws: Array, confidence: float = 0.95) -> tuple[float, float]:
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return (float("nan"), float("nan"))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return (float(low), float(high))


def bootstrap_rate_draws(successes: int, n: int, rng: np.random.Generator, draws: int = 2000) -> Array:
    """Bootstrap replicates of a proportion ``successes / n`` (binomial resampling of the n rows)."""
    if n <= 0:
        return np.full(draws, np.nan)
    return rng.binomial(n, successes / n, size=draws) / n


def bootstrap_mean_draws(values: Array, rng: np.random.Generator, draws: int = 2000) -> Array:
    """Bootstrap replicates of a group's mean (the normal limit of resampling its rows)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.full(draws, np.nan)
    se = float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return rng.normal(float(values.mean()), se, size=draws)


def paired_bootstrap(differences: Array, rng: np.random.Generator, draws: int = 1000,
                     confidence: float = 0.95) -> tuple[float, float, float, float]:
    """Mean of per-row paired differences, its bootstrap interval, and the share of draws <= 0.

    Rows are resampled with replacement (in chunks, so 100k rows x 1000 draws stays small in memory).
    """
    differences = np.asarray(differences, dtype=float)
    n = len(differences)
    if n == 0:
        return (float("nan"), float("nan"), float("nan"), float("nan"))
    means = np.empty(draws)
    chunk = max(1, 2_000_000 // n)
    for start in range(0, draws, chunk):
        stop = min(draws, start + chunk)
        index = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = differences[index].mean(axis=1)
    low, high = percentile_ci(means, confidence)
    return (float(differences.mean()), low, high, float(np.mean(means <= 0)))


def _binomial_tail(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), exact for n <= 5000, normal with continuity correction above."""
    if n == 0:
        return 1.0
    if n <= 5000:
        log_half = n * math.log(0.5)
        terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half for i in range(k + 1)]
        top = max(terms)
        return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))
    return float(NormalDist(n / 2, math.sqrt(n) / 2).cdf(k + 0.5))


def mcnemar(only_new_right: int, only_old_right: int) -> tuple[float, float]:
    """McNemar's exact test on the discordant pairs of two classifiers.

    Args:
        only_new_right: rows the new model gets right and the old one wrong.
        only_old_right: rows the old model gets right and the new one wrong.

    Returns:
        ``(p_two_sided, p_new_worse)``: the two-sided p-value and the one-sided p-value of the
        hypothesis that the new model is worse.
    """
    b, c = int(only_new_right), int(only_old_right)
    n = b + c
    if n == 0:
        return (1.0, 1.0)
    p_new_worse = _binomial_tail(b, n)  # few rows where only the new model is right
    p_two = min(1.0, 2 * min(_binomial_tail(b, n), _binomial_tail(c, n)))
    return (p_two, p_new_worse)


def proportion_z_test(k1: int, n1: int, k2: int, n2: int) -> float:
    """One-sided p-value that proportion 1 exceeds proportion 2 (pooled two-proportion z test)."""
    if n1 == 0 or n2 == 0:
        return 1.0
    p = (k1 + k2) / (n1 + n2)
    se = math.sqrt(max(p * (1 - p) * (1 / n1 + 1 / n2), 1e-300))
    z = (k1 / n1 - k2 / n2) / se
    return float(1 - NormalDist().cdf(z))


def mean_z_test(a: Array, b: Array) -> float:
    """One-sided p-value that the mean of ``a`` exceeds the mean of ``b`` (Welch z, large samples)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return 1.0
    se = math.sqrt(float(a.var(ddof=1)) / len(a) + float(b.var(ddof=1)) / len(b))
    if se == 0:
        return 0.0 if a.mean() > b.mean() else 1.0
    return float(1 - NormalDist().cdf((float(a.mean()) - float(b.mean())) / se))
