"""Regression against the current holder of an alias: the same rows scored by both, compared pairwise.

Classifiers: McNemar's exact test on the rows exactly one of the two models
gets right; regressors: a paired bootstrap of the per-row absolute-error
difference. A significantly worse candidate (p < 0.05, or an interval above
zero) is medium, high when it loses at least 2 points of accuracy or 5 % of
mean absolute error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import mcnemar, paired_bootstrap, wilson

__all__ = ["check_regression"]

Array = np.ndarray[Any, Any]


def check_regression(inputs: ScanInputs, champion_pred: Array | None, champion: str = "the current version"
                     ) -> CheckResult:
    """Is the candidate worse than ``champion`` on the same test rows?"""
    if champion_pred is None:
        return CheckResult("regression", skipped="no current version to compare with (give baseline= or scan a "
                                                  "registered version whose alias is held by another version)")
    y = np.asarray(inputs.y_test)
    new, old = np.asarray(inputs.pred_test), np.asarray(champion_pred)
    if inputs.task != "regression":
        new_right, old_right = new == y, old == y
        b = int(np.sum(new_right & ~old_right))
        c = int(np.sum(~new_right & old_right))
        p_two, p_worse = mcnemar(b, c)
        acc_new, acc_old = float(new_right.mean()), float(old_right.mean())
        drop = acc_old - acc_new
        n = len(y)
        # interval of the accuracy difference from the discordant pairs (Wald on the paired difference)
        diff = (old_right.astype(float) - new_right.astype(float))
        se = float(diff.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
        low, high = drop - 1.96 * se, drop + 1.96 * se
        details = {"test": "McNemar (exact)", "candidate_accuracy": acc_new, "champion_accuracy": acc_old,
                   "drop": drop, "drop_ci": [low, high], "only_candidate_right": b, "only_champion_right": c,
                   "p_two_sided": p_two, "p_worse": p_worse, "champion": champion, "n": n}
        if not (p_worse < 0.05 and drop > 0):
            return CheckResult("regression", (), details)
        severity = "high" if drop >= 0.02 else "medium"
        new_ci, old_ci = wilson(float(new_right.sum()), n), wilson(float(old_right.sum()), n)
        finding = Finding(
            "regression", "regression.worse_than_champion", severity,
            f"accuracy {acc_new:.3f} vs {acc_old:.3f} for {champion} on the same rows",
            f"On the same {n} test rows the candidate is right where {champion} is wrong {b} times, and wrong where "
            f"it is right {c} times (McNemar exact test, one-sided p = {p_worse:.3g}): it loses {drop:.3f} accuracy "
            f"(95% interval {low:.3f} to {high:.3f}).",
            f"Keep {champion} in place; find which rows changed (the discordant pairs) and why, e.g. a changed "
            "feature pipeline, a training-data shift or a regressed hyperparameter.",
            (Estimate("candidate accuracy", acc_new, *new_ci, n=n), Estimate("champion accuracy", acc_old, *old_ci,
                                                                           n=n),
             Estimate("accuracy lost", drop, low, high), Estimate("McNemar p (worse)", p_worse)), details)
        return CheckResult("regression", (finding,), details)
    err_new = np.abs(y.astype(float) - new.astype(float))
    err_old = np.abs(y.astype(float) - old.astype(float))
    diff = err_new - err_old
    if len(diff) > 50_000:
        diff = inputs.rng(61).choice(diff, 50_000, replace=False)
    mean, low, high, share = paired_bootstrap(diff, inputs.rng(67), draws=500)
    mae_old = float(err_old.mean()) or 1e-12
    relative = mean / mae_old
    details = {"test": "paired bootstrap of absolute errors", "candidate_mae": float(err_new.mean()),
               "champion_mae": float(err_old.mean()), "difference": mean, "difference_ci": [low, high],
               "relative": relative, "champion": champion, "n": len(y)}
    if not low > 0:
        return CheckResult("regression", (), details)
    severity = "high" if relative >= 0.05 else "medium"
    finding = Finding(
        "regression", "regression.worse_than_champion", severity,
        f"mean absolute error {err_new.mean():.4g} vs {err_old.mean():.4g} for {champion} ({relative:+.1%})",
        f"On the same {len(y)} test rows the candidate's absolute error is larger by {mean:.4g} on average (paired "
        f"bootstrap 95% interval {low:.4g} to {high:.4g}), {relative:.1%} worse than {champion}.",
        f"Keep {champion} in place; compare the two models' errors row by row to find what changed.",
        (Estimate("candidate MAE", float(err_new.mean())), Estimate("champion MAE", float(err_old.mean())),
         Estimate("MAE difference", mean, low, high, n=len(y))), details)
    return CheckResult("regression", (finding,), details)
