"""Drift tests between a reference sample and a serving window, and the rule that picks one.

Pure functions over numpy arrays and category counts; no store, no scipy.
The defaults follow Evidently's published algorithm (checked against its
docs): with a small sample, Kolmogorov-Smirnov for numbers and chi-squared
for categories (a two-proportion Z-test for two categories), drift when
p < 0.05; with a large one, the Wasserstein distance normalised by the
reference's standard deviation for numbers and the Jensen-Shannon distance
for categories, drift when the distance is >= 0.1; a numeric column with at
most 5 distinct values counts as categorical; a dataset drifts when at least
half of its features do. PSI (drift at >= 0.1; 0.2 is the usual "major
shift" mark) is available on request. One difference: Evidently looks only
at the reference's size; we take the smaller of the two samples, because a
distance computed from a few hundred serving rows is noisy enough to raise
false alarms at 0.1 while a test's p-value accounts for the sample size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from mlm_jupyter.core.errors import InvalidInputError

__all__ = [
    "DriftThresholds", "FeatureDrift", "METHODS", "categorical_test", "choose_method", "chi2_homogeneity",
    "chi2_sf", "jensen_shannon", "ks_2samp", "numeric_test", "psi", "wasserstein_normed", "z_test_proportions",
]

#: test name -> (what its statistic is, whether the verdict reads a p-value)
METHODS: dict[str, tuple[str, bool]] = {
    "ks": ("Kolmogorov-Smirnov D", True),
    "chi2": ("chi-squared", True),
    "z": ("two-proportion Z", True),
    "wasserstein": ("Wasserstein distance / reference std", False),
    "jensenshannon": ("Jensen-Shannon distance", False),
    "psi": ("population stability index", False),
}


@dataclass(frozen=True)
class DriftThresholds:
    """When a feature, a dataset and a serving window count as drifted or skewed.

    ``methods`` forces a test per feature (``{"age": "psi"}``; ``"*"`` for all);
    ``features`` overrides the threshold per feature (``{"age": 0.2}``).
    """

    p_value: float = 0.05
    wasserstein: float = 0.1
    jensenshannon: float = 0.1
    psi: float = 0.1
    drift_share: float = 0.5
    small_sample: int = 1000
    categorical_max_unique: int = 5
    null_rate_jump: float = 0.1
    out_of_range_share: float = 0.01
    unseen_category_share: float = 0.01
    methods: Mapping[str, str] = field(default_factory=dict)
    features: Mapping[str, float] = field(default_factory=dict)

    def threshold_for(self, method: str, feature: str) -> float:
        if feature in self.features:
            return float(self.features[feature])
        return float(self.p_value if METHODS[method][1] else getattr(self, method))

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["methods"], out["features"] = dict(self.methods), dict(self.features)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DriftThresholds:
        return cls().updated(data or {})

    def updated(self, changes: Mapping[str, Any]) -> DriftThresholds:
        """A copy with ``changes`` applied; unknown keys and bad values raise ``InvalidInputError``."""
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise InvalidInputError(f"unknown drift threshold(s) {sorted(unknown)}; known: "
                                    f"{sorted(self.__dataclass_fields__)}")
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key in ("methods", "features"):
                if not isinstance(value, Mapping):
                    raise InvalidInputError(f"{key} must be a mapping of feature name to value")
                if key == "methods":
                    bad = {k: v for k, v in value.items() if v not in METHODS}
                    if bad:
                        raise InvalidInputError(f"unknown drift method(s) {bad}; use one of {sorted(METHODS)}")
                values[key] = {str(k): (str(v) if key == "methods" else _positive(k, v)) for k, v in value.items()}
            elif key in ("small_sample", "categorical_max_unique"):
                values[key] = int(_positive(key, value))
            else:
                values[key] = _positive(key, value)
        return replace(self, **values)


def _positive(key: Any, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"threshold {key!r} must be a number, got {value!r:.40}") from None
    if not (number >= 0 and math.isfinite(number)):
        raise InvalidInputError(f"threshold {key!r} must be a finite number >= 0, got {value!r:.40}")
    return number


@dataclass(frozen=True)
class FeatureDrift:
    """The verdict on one feature: which test, its statistic, p-value or threshold, and drifted or not."""

    feature: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "kind": self.kind, "method": self.method,
                "statistic": _finite(self.statistic), "p_value": _finite(self.p_value), "threshold": self.threshold,
                "drifted": self.drifted, "reference_rows": self.reference_rows, "current_rows": self.current_rows,
                "note": self.note}


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def choose_method(kind: str, n_reference: int, n_current: int, n_unique: int,
                  thresholds: DriftThresholds = DriftThresholds(), feature: str = "") -> tuple[str, str]:
    """The test for one feature and the kind it is treated as (``numeric`` or ``categorical``)."""
    forced = thresholds.methods.get(feature) or thresholds.methods.get("*")
    treat = "numeric" if kind == "numeric" and n_unique > thresholds.categorical_max_unique else "categorical"
    if forced:
        if forced == "ks" or forced == "wasserstein":
            return forced, "numeric" if kind == "numeric" else treat
        return forced, treat
    small = min(n_reference, n_current) <= thresholds.small_sample
    if treat == "numeric":
        return ("ks" if small else "wasserstein"), treat
    if small:
        return ("z" if n_unique <= 2 else "chi2"), treat
    return "jensenshannon", treat


# ---------------------------------------------------------------- numeric tests

def _kolmogorov_sf(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution (its alternating series)."""
    if lam < 0.2:
        return 1.0
    total, sign = 0.0, 1.0
    for j in range(1, 101):
        term = sign * math.exp(-2.0 * j * j * lam * lam)
        total += term
        if abs(term) < 1e-12:
            break
        sign = -sign
    return float(min(max(2.0 * total, 0.0), 1.0))


def ks_2samp(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov: the largest CDF gap and its asymptotic p-value (Stephens' correction)."""
    a, b = np.sort(reference, kind="stable"), np.sort(current, kind="stable")  # cheap on sorted input
    n, m = len(a), len(b)
    if not n or not m:
        return 0.0, 1.0
    both = np.concatenate([a, b])
    gap = np.abs(np.searchsorted(a, both, side="right") / n - np.searchsorted(b, both, side="right") / m)
    d = float(gap.max())
    en = math.sqrt(n * m / (n + m))
    return d, _kolmogorov_sf((en + 0.12 + 0.11 / en) * d)


def wasserstein_normed(reference: np.ndarray, current: np.ndarray) -> float:
    """First Wasserstein distance between the two samples, divided by the reference's standard deviation
    (at least 0.001, so a constant reference does not divide by zero)."""
    a, b = np.sort(reference, kind="stable"), np.sort(current, kind="stable")
    if not len(a) or not len(b):
        return 0.0
    both = np.sort(np.concatenate([a, b]), kind="stable")  # two sorted runs: a merge, not a full sort
    widths = np.diff(both)
    cdf_a = np.searchsorted(a, both[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(b, both[:-1], side="right") / len(b)
    distance = float(np.sum(np.abs(cdf_a - cdf_b) * widths))
    return distance / max(float(np.std(a)), 0.001)


def numeric_test(method: str, reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    """(statistic, p-value or ``None``) of a numeric test on two samples (nulls already removed)."""
    if method == "ks":
        return ks_2samp(reference, current)
    if method == "wasserstein":
        return wasserstein_normed(reference, current), None
    if method == "psi":
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, 11))) if len(reference) else np.array([0.0])
        ref_counts = np.bincount(np.clip(np.searchsorted(edges, reference, side="right") - 1, 0, None),
                                 minlength=len(edges) + 1)
        cur_counts = np.bincount(np.clip(np.searchsorted(edges, current, side="right") - 1, 0, None),
                                 minlength=len(edges) + 1)
        size = max(len(ref_counts), len(cur_counts))
        return psi(np.pad(ref_counts, (0, size - len(ref_counts))), np.pad(cur_counts, (0, size - len(cur_counts)))), \
            None
    raise InvalidInputError(f"{method!r} is not a test for numbers; use ks, wasserstein or psi")


# ---------------------------------------------------------------- categorical tests

def _regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Gamma(a, x) / Gamma(a): series below a + 1, continued fraction above."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return float(max(0.0, 1.0 - total * math.exp(log_prefix)))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return float(min(1.0, math.exp(log_prefix) * h))


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X > statistic) for a chi-squared variable with ``dof`` degrees of freedom."""
    if dof <= 0:
        return 1.0
    return _regularized_gamma_q(dof / 2.0, statistic / 2.0)


def chi2_homogeneity(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Chi-squared test that two samples share one distribution over the same categories (2 x k table)."""
    table = np.vstack([reference, current]).astype(np.float64)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table.sum(axis=1).min() == 0:
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return statistic, chi2_sf(statistic, table.shape[1] - 1)


def z_test_proportions(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-proportion Z-test on the share of the first category (two-sided p-value)."""
    n1, n2 = float(reference.sum()), float(current.sum())
    if not n1 or not n2 or len(reference) < 2:
        return 0.0, 1.0
    p1, p2 = reference[0] / n1, current[0] / n2
    pooled = (reference[0] + current[0]) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0, 1.0 if p1 == p2 else 0.0
    z = float((p1 - p2) / spread)
    return z, math.erfc(abs(z) / math.sqrt(2))


def jensen_shannon(reference: np.ndarray, current: np.ndarray) -> float:
    """Jensen-Shannon distance (square root of the divergence, natural log) between two count vectors."""
    p = reference / max(reference.sum(), 1)
    q = current / max(current.sum(), 1)
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float(np.sum(x[mask] * np.log(x[mask] / m[mask])))

    return math.sqrt(max((kl(p) + kl(q)) / 2, 0.0))


def psi(reference: np.ndarray, current: np.ndarray, epsilon: float = 1e-4) -> float:
    """Population stability index between two count vectors over the same bins."""
    p = np.maximum(reference / max(reference.sum(), 1), epsilon)
    q = np.maximum(current / max(current.sum(), 1), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def categorical_test(method: str, reference: np.ndarray, current: np.ndarray) -> tuple[float, float | None]:
    """(statistic, p-value or ``None``) of a categorical test on aligned count vectors."""
    if method == "chi2":
        return chi2_homogeneity(reference, current)
    if method == "z":
        return z_test_proportions(reference, current)
    if method == "jensenshannon":
        return jensen_shannon(reference, current), None
    if method == "psi":
        return psi(reference, current), None
    raise InvalidInputError(f"{method!r} is not a test for categories; use chi2, z, jensenshannon or psi")


def verdict(method: str, statistic: float, p_value: float | None, threshold: float) -> bool:
    """Drifted: p-value below the threshold for a test, distance at or above it otherwise."""
    if METHODS[method][1]:
        return p_value is not None and p_value < threshold
    return statistic >= threshold
