"""Bias: per group of each sensitive attribute (and pairs of them), the metric, selection rate, TPR and FPR,
with disparity ratios and differences whose bootstrap intervals decide whether a gap is supported.

A disparity is a finding only when the bootstrap interval of the best-minus-worst
difference excludes zero at a Bonferroni-corrected 99 % level (over every
attribute x metric comparison). Thresholds: a selection-rate ratio below 0.8
(the four-fifths rule), a TPR or FPR difference above 0.1 (equalized odds),
an accuracy difference above 0.05, a mean-absolute-error ratio above 1.25.
High when the interval itself is past the threshold. Groups smaller than
``min_group`` rows are listed but not judged.
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import bootstrap_mean_draws, bootstrap_rate_draws, percentile_ci, wilson

__all__ = ["check_bias", "group_labels"]

Array = np.ndarray[Any, Any]
MIN_GROUP = 30
FAMILY_ALPHA = 0.01  # chance that a scan of an unbiased model flags any disparity
DRAWS = 2000
_RATE_METRICS = {  # name: (numerator, denominator, higher_is_worse)
    "accuracy": ("correct", "n", False),
    "selection_rate": ("pred_pos", "n", False),
    "tpr": ("tp", "pos", False),
    "fpr": ("fp", "neg", True),
}


def group_labels(values: Any, max_groups: int = 12) -> Array:
    """Group label per row: categories as text, numeric attributes with many values in quartile bins."""
    series = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values)
    series = series.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(series) and series.nunique() > max_groups:
        binned = pd.qcut(series.astype(float), 4, duplicates="drop")
        bins: Array = binned.astype(str).to_numpy()
        return bins
    labels: Array = series.astype(str).fillna("(missing)").to_numpy()
    return labels


def _counts(inputs: ScanInputs, mask: Array) -> dict[str, float]:
    y, pred = np.asarray(inputs.y_test)[mask], np.asarray(inputs.pred_test)[mask]
    out: dict[str, float] = {"n": float(mask.sum())}
    if inputs.task == "regression":
        out["mae"] = float(np.mean(np.abs(y.astype(float) - pred.astype(float)))) if len(y) else float("nan")
        return out
    out["correct"] = float(np.sum(y == pred))
    if inputs.task == "binary":
        positive = inputs.positive
        out["pred_pos"] = float(np.sum(pred == positive))
        out["pos"] = float(np.sum(y == positive))
        out["neg"] = float(np.sum(y != positive))
        out["tp"] = float(np.sum((y == positive) & (pred == positive)))
        out["fp"] = float(np.sum((y != positive) & (pred == positive)))
    return out


def _table(inputs: ScanInputs, labels: Array) -> list[dict[str, Any]]:
    rows = []
    for group in sorted(set(labels.tolist()), key=str):
        mask = labels == group
        counts = _counts(inputs, mask)
        row: dict[str, Any] = {"group": group, "n": int(counts["n"])}
        if inputs.task == "regression":
            row["mae"] = counts["mae"]
        for metric, (num, den, _) in _RATE_METRICS.items():
            if num in counts and counts.get(den, 0) > 0:
                rate = counts[num] / counts[den]
                low, high = wilson(counts[num], int(counts[den]))
                row[metric] = rate
                row[f"{metric}_ci"] = [low, high]
                row[f"{metric}_n"] = int(counts[den])
        row["_counts"] = counts
        rows.append(row)
    return rows


_THRESHOLDS = {"accuracy": ("difference", 0.05), "selection_rate": ("ratio", 0.8), "tpr": ("difference", 0.1),
               "fpr": ("difference", 0.1), "mae": ("ratio", 1.25)}
_WORDS = {"accuracy": "accuracy", "selection_rate": "selection rate (share predicted positive)",
          "tpr": "true positive rate (recall)", "fpr": "false positive rate", "mae": "mean absolute error"}


def _compare(inputs: ScanInputs, attribute: str, rows: list[dict[str, Any]], metric: str, confidence: float,
             rng: np.random.Generator, labels: Array) -> dict[str, Any] | None:
    eligible = []
    for row in rows:
        counts = row["_counts"]
        if metric == "mae":
            if counts["n"] >= MIN_GROUP:
                eligible.append(row)
        else:
            num, den, _ = _RATE_METRICS[metric]
            if num in counts and counts.get(den, 0) >= MIN_GROUP // 3 and counts["n"] >= MIN_GROUP:
                eligible.append(row)
    if len(eligible) < 2:
        return None
    if metric == "mae":
        worst = max(eligible, key=lambda r: r["mae"])
        best = min(eligible, key=lambda r: r["mae"])
        loss = np.abs(np.asarray(inputs.y_test, dtype=float) - np.asarray(inputs.pred_test, dtype=float))
        worst_draws = bootstrap_mean_draws(loss[labels == worst["group"]], rng, DRAWS)
        best_draws = bootstrap_mean_draws(loss[labels == best["group"]], rng, DRAWS)
        value_worst, value_best = worst["mae"], best["mae"]
        difference = value_worst - value_best
        diff_draws = worst_draws - best_draws
        ratio = value_worst / value_best if value_best > 0 else float("inf")
        ratio_draws = worst_draws / np.where(best_draws > 0, best_draws, np.nan)
    else:
        num, den, higher_is_worse = _RATE_METRICS[metric]
        key = (lambda r: r[metric]) if higher_is_worse else (lambda r: -r[metric])
        worst, best = max(eligible, key=key), min(eligible, key=key)
        draws = {}
        for row in (worst, best):
            counts = row["_counts"]
            draws[row["group"]] = bootstrap_rate_draws(int(counts[num]), int(counts[den]), rng, DRAWS)
        value_worst, value_best = worst[metric], best[metric]
        if higher_is_worse:
            difference = value_worst - value_best
            diff_draws = draws[worst["group"]] - draws[best["group"]]
        else:
            difference = value_best - value_worst
            diff_draws = draws[best["group"]] - draws[worst["group"]]
        low_v, high_v = min(value_worst, value_best), max(value_worst, value_best)
        ratio = low_v / high_v if high_v > 0 else 1.0
        a, b = draws[worst["group"]], draws[best["group"]]
        ratio_draws = np.minimum(a, b) / np.where(np.maximum(a, b) > 0, np.maximum(a, b), np.nan)
    diff_ci = percentile_ci(diff_draws, confidence)
    ratio_ci = percentile_ci(ratio_draws, confidence)
    return {"attribute": attribute, "metric": metric, "worst_group": worst["group"], "best_group": best["group"],
            "worst_value": value_worst, "best_value": value_best, "worst_n": worst["n"], "best_n": best["n"],
            "difference": difference, "difference_ci": list(diff_ci), "ratio": ratio, "ratio_ci": list(ratio_ci),
            "confidence": confidence}


def _severity(comparison: Mapping[str, Any]) -> str | None:
    if not comparison["difference_ci"][0] > 0:
        return None  # not statistically supported
    kind, threshold = _THRESHOLDS[comparison["metric"]]
    if kind == "difference":
        point, bound = comparison["difference"], comparison["difference_ci"][0]
        past, clearly = point > threshold, bound > threshold
    elif comparison["metric"] == "mae":
        point, bound = comparison["ratio"], comparison["ratio_ci"][0]
        past, clearly = point > threshold, bound > threshold
    else:
        point, bound = comparison["ratio"], comparison["ratio_ci"][1]
        past, clearly = point < threshold, bound < threshold
    if clearly:
        return "high"
    return "medium" if past else "low"


def _finding(c: Mapping[str, Any], severity: str, groups: Mapping[str, Any]) -> Finding:
    metric = c["metric"]
    word = _WORDS[metric]
    kind, threshold = _THRESHOLDS[metric]
    rule = (f"the four-fifths rule asks for a ratio of at least {threshold}" if metric == "selection_rate" else
            f"the scan's threshold is a {kind} of {threshold}")
    return Finding(
        "bias", f"bias.{metric}", severity,
        f"{word} differs by {c['attribute']}: {c['worst_group']} {c['worst_value']:.3f} vs {c['best_group']} "
        f"{c['best_value']:.3f}",
        f"For {c['attribute']} = {c['worst_group']} (n={c['worst_n']}) the model's {word} is {c['worst_value']:.3f}, "
        f"against {c['best_value']:.3f} for {c['best_group']} (n={c['best_n']}): a difference of "
        f"{c['difference']:.3f} (bootstrap {c['confidence']:.1%} interval {c['difference_ci'][0]:.3f} to "
        f"{c['difference_ci'][1]:.3f}) and a ratio of {c['ratio']:.2f} ({c['ratio_ci'][0]:.2f} to "
        f"{c['ratio_ci'][1]:.2f}); {rule}. The interval excludes no difference, so this is not sampling noise.",
        f"Check whether {c['attribute']} (or a proxy of it) drives predictions; look at label quality and "
        f"representation of {c['worst_group']} in the training data; consider reweighting, group-aware thresholds "
        "or a fairness-constrained learner (e.g. fairlearn's reductions), and decide with domain experts which "
        "disparity is acceptable.",
        (Estimate(f"{word} of {c['worst_group']}", c["worst_value"], n=int(c["worst_n"])),
         Estimate(f"{word} of {c['best_group']}", c["best_value"], n=int(c["best_n"])),
         Estimate("difference", c["difference"], c["difference_ci"][0], c["difference_ci"][1]),
         Estimate("ratio", c["ratio"], c["ratio_ci"][0], c["ratio_ci"][1])),
        {**dict(c), "groups": groups})


def _public(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


def check_bias(inputs: ScanInputs, attributes: Mapping[str, Any]) -> CheckResult:
    """Disparities across the groups of each sensitive attribute and of each pair of attributes."""
    if not attributes:
        return CheckResult("bias", skipped="no sensitive attributes given (sensitive=[...])")
    labelled = {name: group_labels(values) for name, values in attributes.items()}
    for a, b in itertools.combinations(sorted(labelled), 2):
        joined = np.char.add(np.char.add(labelled[a].astype(str), " & "), labelled[b].astype(str))
        _, counts = np.unique(joined, return_counts=True)
        if (counts >= MIN_GROUP).sum() >= 2:
            labelled[f"{a} & {b}"] = joined
    metrics = ["mae"] if inputs.task == "regression" else (
        ["accuracy", "selection_rate", "tpr", "fpr"] if inputs.task == "binary" else ["accuracy"])
    tables = {name: _table(inputs, labels) for name, labels in labelled.items()}
    tests = len(tables) * len(metrics)
    confidence = 1 - FAMILY_ALPHA / max(tests, 1)
    rng = inputs.rng(23)
    findings, comparisons = [], []
    for name, rows in tables.items():
        public = _public(rows)
        for metric in metrics:
            comparison = _compare(inputs, name, rows, metric, confidence, rng, labelled[name])
            if comparison is None:
                continue
            severity = _severity(comparison)
            comparison["flagged"] = severity
            comparisons.append(comparison)
            if severity is not None:
                findings.append(_finding(comparison, severity, {"attribute": name, "rows": public}))
    details = {"attributes": [{"attribute": name, "groups": _public(rows), "small": [
        r["group"] for r in rows if r["n"] < MIN_GROUP]} for name, rows in tables.items()],
        "comparisons": comparisons, "min_group": MIN_GROUP, "metrics": metrics}
    findings.sort(key=lambda f: ("info", "low", "medium", "high").index(f.severity), reverse=True)
    return CheckResult("bias", tuple(findings), details)
