"""Fragility: how often predictions change under perturbations a model should shrug off.

Each numeric feature is nudged by Gaussian noise of ``noise`` (default 5 %) of its
robust spread (what measurement noise of that feature looks like), alone and
all together; text gets lower-casing and a swapped pair of letters; each
categorical value is swapped for another observed value (reported, and judged
only for sensitive attributes, where a changed prediction is counterfactual
bias). A prediction "changes" when a class flips, or when a regressor's
output moves by more than 5 % of the target's spread. Thresholds: more than
5 % of rows changed (Giskard's robustness default) is low, 10 % medium, 25 %
high when the interval's lower bound is past it too.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import wilson

__all__ = ["check_fragility", "robust_spread"]

Array = np.ndarray[Any, Any]
MAX_ROWS = 1000


def robust_spread(values: Array) -> float:
    """IQR / 1.349 (the standard deviation for normal data), falling back to the standard deviation."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return 0.0
    q1, q3 = np.percentile(values, [25, 75])
    spread = (q3 - q1) / 1.349
    return float(spread) if spread > 0 else float(values.std())


def _typo(text: Any, rng: np.random.Generator) -> Any:
    if not isinstance(text, str) or len(text) < 4:
        return text
    i = int(rng.integers(0, len(text) - 1))
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def _perturbations(inputs: ScanInputs, sample: pd.DataFrame, noise: float,
                   rng: np.random.Generator) -> list[tuple[str, str, pd.DataFrame]]:
    """``(feature, kind of change, perturbed copy)`` for each perturbation."""
    out = []
    numeric = [c for c, k in inputs.kinds.items() if k == "numeric" and c in sample.columns]
    reference = inputs.X_train if inputs.X_train is not None else inputs.X_test
    joint = sample.copy()
    for column in numeric:
        spread = robust_spread(reference[column].to_numpy(dtype=float, na_value=np.nan))
        if spread <= 0:
            continue
        shift = rng.normal(0.0, noise * spread, len(sample))
        if pd.api.types.is_integer_dtype(sample[column]):
            shift = np.round(shift)
        copy = sample.copy()
        copy[column] = (sample[column].astype(float) + shift).astype(sample[column].dtype)
        joint[column] = copy[column]
        out.append((column, "noise", copy))
    if len(numeric) > 1:
        out.append(("(all numeric features)", "noise", joint))
    for column, kind in inputs.kinds.items():
        if column not in sample.columns:
            continue
        if kind == "text":
            lower = sample.copy()
            lower[column] = sample[column].map(lambda t: t.lower() if isinstance(t, str) else t)
            out.append((column, "lowercase", lower))
            typo = sample.copy()
            typo[column] = sample[column].map(lambda t: _typo(t, rng))
            out.append((column, "typo", typo))
        elif kind == "categorical":
            values = reference[column].dropna()
            counts = values.value_counts()
            if len(counts) < 2:
                continue
            categories = counts.index.to_numpy()
            weights = (counts / counts.sum()).to_numpy(dtype=float)
            current = sample[column].to_numpy()
            drawn = rng.choice(categories, size=len(sample), p=weights)
            same = drawn == current
            for _ in range(5):  # redraw rows that got their own value back
                if not same.any():
                    break
                drawn[same] = rng.choice(categories, size=int(same.sum()), p=weights)
                same = drawn == current
            copy = sample.copy()
            copy[column] = pd.Series(drawn, index=sample.index).astype(sample[column].dtype, errors="ignore")
            out.append((column, "category swap", copy))
    return out


def _changed(inputs: ScanInputs, base: Array, perturbed: Array) -> Array:
    if inputs.task == "regression":
        scale = float(np.std(np.asarray(inputs.y_test, dtype=float))) or 1.0
        moved: Array = np.abs(np.asarray(perturbed, dtype=float) - np.asarray(base, dtype=float)) > 0.05 * scale
        return moved
    flipped: Array = np.asarray(perturbed) != np.asarray(base)
    return flipped


def _severity(rate: float, low: float) -> str | None:
    if rate > 0.25 and low > 0.25:
        return "high"
    if rate > 0.10 and low > 0.05:
        return "medium"
    if rate > 0.05 and low > 0.02:
        return "low"
    return None


def check_fragility(inputs: ScanInputs, *, noise: float = 0.05,
                    predict: Callable[[pd.DataFrame], Array] | None = None,
                    sensitive: Sequence[str] = ()) -> CheckResult:
    """Share of predictions that change under small perturbations; the most fragile features named."""
    predict = predict or inputs.predict
    if predict is None:
        return CheckResult("fragility", skipped="no model to call (predictions only)")
    rng = inputs.rng(41)
    n = len(inputs.X_test)
    pick = np.sort(rng.choice(n, min(n, MAX_ROWS), replace=False))
    sample = inputs.X_test.iloc[pick]
    base = np.asarray(inputs.pred_test)[pick]
    perturbations = _perturbations(inputs, sample, noise, rng)
    if not perturbations:
        return CheckResult("fragility", skipped="no feature to perturb")
    stacked = pd.concat([p for _, _, p in perturbations], ignore_index=True)
    predicted = np.asarray(predict(stacked))
    rows: list[dict[str, Any]] = []
    m = len(sample)
    for i, (feature, kind, _) in enumerate(perturbations):
        changed = _changed(inputs, base, predicted[i * m:(i + 1) * m])
        k = int(changed.sum())
        low, high = wilson(k, m)
        rows.append({"feature": feature, "perturbation": kind, "changed": k, "rows": m, "rate": k / m,
                     "ci": [low, high], "sensitive": feature in sensitive})
    rows.sort(key=lambda r: -r["rate"])
    findings = []
    judged = [r for r in rows if r["perturbation"] != "category swap"]
    fragile: list[tuple[dict[str, Any], str]] = []
    for r in judged:
        level = _severity(r["rate"], r["ci"][0])
        if level is not None:
            fragile.append((r, level))
    if fragile:
        worst_rank = max(("info", "low", "medium", "high").index(s) for _, s in fragile)
        worst = ("info", "low", "medium", "high")[worst_rank]
        named = [r for r, _ in fragile if r["feature"] != "(all numeric features)"][:5] or [fragile[0][0]]
        top = fragile[0][0]
        names = ", ".join(f"{r['feature']} ({r['rate']:.0%})" for r in named)
        findings.append(Finding(
            "fragility", "fragility.perturbation", worst,
            f"predictions change under small perturbations; most fragile: {names}",
            f"Nudging features within their noise ({noise:.0%} of each numeric feature's spread; lower-casing and "
            f"typos for text) changes {top['rate']:.0%} of {m} sampled predictions for {top['feature']} "
            f"({top['perturbation']}; 95% interval {top['ci'][0]:.0%} to {top['ci'][1]:.0%}). A model this "
            "sensitive to measurement noise has learned boundaries finer than the data can support.",
            "Regularise or smooth the model (fewer, shallower trees; min_samples_leaf; monotonic constraints), "
            f"bin or round {named[0]['feature']}, train with noise augmentation, and check the feature's "
            "measurement precision.",
            tuple(Estimate(f"changed by {r['feature']} ({r['perturbation']})", r["rate"], r["ci"][0], r["ci"][1],
                           n=m) for r, _ in fragile[:6]),
            {"features": [r for r, _ in fragile]}))
    for r in rows:
        if r["perturbation"] != "category swap" or not r["sensitive"]:
            continue
        severity: str | None = _severity(r["rate"], r["ci"][0])
        if severity is None and r["ci"][0] > 0.01:
            severity = "low"
        if severity is None:
            continue
        findings.append(Finding(
            "fragility", "fragility.sensitive_swap", severity,
            f"changing only {r['feature']} changes {r['rate']:.0%} of predictions",
            f"Swapping the sensitive attribute {r['feature']} for another observed value, all else equal, changes "
            f"{r['rate']:.0%} of {m} sampled predictions (95% interval {r['ci'][0]:.0%} to {r['ci'][1]:.0%}): the "
            "model's decisions depend directly on it.",
            f"Decide whether {r['feature']} may be used at all; if not, drop it (and check proxies of it), or "
            "constrain the model so that it does not change decisions.",
            (Estimate(f"changed by swapping {r['feature']}", r["rate"], r["ci"][0], r["ci"][1], n=m),), dict(r)))
    return CheckResult("fragility", tuple(findings), {"noise": noise, "rows": m, "perturbations": rows})
