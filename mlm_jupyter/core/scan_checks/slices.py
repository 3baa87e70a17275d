"""Slices: values of categorical features and quantile bins of numeric ones where the model does much worse.

Each slice's mean loss (error rate, or mean absolute error) is compared with
the rest of the rows; a slice is a finding when it is at least
``max(20, 5 %)`` of the rows (Giskard's minimum), its loss is at least 20 %
above the overall loss (Deepchecks' ``WeakSegmentsPerformance`` default)
and a one-sided test against the rest is significant after a Bonferroni
correction over every slice tried. Findings are ranked by effect size
(Cohen's h for error rates, standardised mean difference for errors). A
slice is high when its loss is at least 1.5 times the overall loss; for a
classifier with probabilities it must also be at least 1.5 times the error
the model itself expects there, else the model knows it is unsure and the
slice is only low.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import mean_ci, mean_z_test, proportion_z_test, wilson

__all__ = ["candidate_slices", "check_slices"]

Array = np.ndarray[Any, Any]
RELATIVE = 0.20
HIGH_RELATIVE = 0.50
MAX_FINDINGS = 5


def candidate_slices(frame: pd.DataFrame, kinds: dict[str, str], bins: int = 5,
                     max_categories: int = 20) -> list[tuple[str, str, Array]]:
    """``(feature, description, row mask)`` for each categorical value and numeric quantile bin."""
    out = []
    for column, kind in kinds.items():
        if column not in frame.columns or kind == "text":
            continue
        series = frame[column]
        if kind == "categorical":
            counts = series.astype(str).value_counts()
            text = series.astype(str).to_numpy()
            for value in counts.index[:max_categories]:
                out.append((column, f"{column} = {value}", text == value))
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            if len(np.unique(finite)) < 2:
                continue
            edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)))
            for i in range(len(edges) - 1):
                low, high = edges[i], edges[i + 1]
                last = i == len(edges) - 2
                mask = (values >= low) & ((values <= high) if last else (values < high))
                out.append((column, f"{column} in [{low:.4g}, {high:.4g}{']' if last else ')'}", mask))
            missing = ~np.isfinite(values)
            if missing.any():
                out.append((column, f"{column} is missing", missing))
    return out


def check_slices(inputs: ScanInputs) -> CheckResult:
    """Data slices where the metric is much worse than overall, ranked by effect size."""
    loss = inputs.test_loss()
    n = len(loss)
    overall = float(loss.mean()) if n else float("nan")
    if n < 40 or not overall > 0:
        return CheckResult("slices", details={"overall_loss": overall}, skipped=None if n >= 40 else
                           "fewer than 40 test rows")
    min_rows = max(20, int(math.ceil(0.05 * n)))
    slices = [s for s in candidate_slices(inputs.X_test, dict(inputs.kinds)) if min_rows <= s[2].sum() < n]
    classifier = inputs.is_classifier
    expected_error = None
    if classifier and inputs.proba_test is not None:
        expected_error = 1.0 - np.asarray(inputs.proba_test, dtype=float).max(axis=1)
    alpha = 0.05 / max(len(slices), 1)
    rows: list[dict[str, Any]] = []
    for feature, description, mask in slices:
        inside, outside = loss[mask], loss[~mask]
        k = int(mask.sum())
        value = float(inside.mean())
        rest = float(outside.mean())
        if classifier:
            p = proportion_z_test(int(inside.sum()), k, int(outside.sum()), len(outside))
            effect = 2 * math.asin(math.sqrt(value)) - 2 * math.asin(math.sqrt(rest))
            low, high = wilson(float(inside.sum()), k)
        else:
            p = mean_z_test(inside, outside)
            pooled = float(np.sqrt((inside.var(ddof=1) + outside.var(ddof=1)) / 2)) if k > 1 else 0.0
            effect = (value - rest) / pooled if pooled > 0 else 0.0
            _, low, high = mean_ci(inside)
        row: dict[str, Any] = {"feature": feature, "slice": description, "n": k, "loss": value, "loss_ci": [low, high],
               "rest_loss": rest, "overall_loss": overall, "relative": (value - overall) / overall,
               "effect_size": effect, "p_value": p}
        if expected_error is not None:
            row["expected_loss"] = float(expected_error[mask].mean())
        rows.append(row)
    rows.sort(key=lambda r: -r["effect_size"])
    findings: list[Finding] = []
    loss_name = "error rate" if classifier else "mean absolute error"
    for row in rows:
        if len(findings) >= MAX_FINDINGS:
            break
        if not (row["p_value"] < alpha and row["relative"] > RELATIVE):
            continue
        severity = "high" if row["relative"] >= HIGH_RELATIVE else "medium"
        honest = ""
        if "expected_loss" in row and row["loss"] < 1.5 * row["expected_loss"]:
            severity = "low"
            honest = (f" The model's own probabilities expect an error rate of {row['expected_loss']:.3f} here, so it "
                      "knows this region is hard.")
        row["flagged"] = severity
        findings.append(Finding(
            "slices", "slices.underperforming", severity,
            f"{row['slice']}: {loss_name} {row['loss']:.3g} vs {overall:.3g} overall ({row['n']} rows)",
            f"On the {row['n']} test rows where {row['slice']}, the {loss_name} is {row['loss']:.3g} (95% interval "
            f"{row['loss_ci'][0]:.3g} to {row['loss_ci'][1]:.3g}), {row['relative']:.0%} above the overall "
            f"{overall:.3g}; effect size {row['effect_size']:.2f}, p = {row['p_value']:.2g} against the other rows "
            f"(significance level {alpha:.2g} after correcting for {len(slices)} slices).{honest}",
            f"Look at the rows where {row['slice']}: label quality, how many such rows the training data has, and "
            "features that would explain them; collect more of them, add a feature, or give this slice its own "
            "model or threshold.",
            (Estimate(f"{loss_name} in slice", row["loss"], row["loss_ci"][0], row["loss_ci"][1], n=row["n"]),
             Estimate(f"overall {loss_name}", overall, n=n), Estimate("effect size", row["effect_size"]),
             Estimate("p-value", row["p_value"])),
            dict(row)))
    return CheckResult("slices", tuple(findings), {"overall_loss": overall, "loss": loss_name, "min_rows": min_rows,
                                                   "tested": len(slices), "alpha": alpha, "slices": rows[:30]})
