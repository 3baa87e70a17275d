"""Calibration of a classifier's probabilities: expected calibration error with its interval, and which way.

Top-label reliability over 10 equal-mass confidence bins. The ECE's interval is
a bootstrap over rows; whether it exceeds what sampling alone produces is
tested against labels drawn from the model's own probabilities (consistency
resampling). Thresholds: ECE above 0.05 with p < 0.01 is medium, ECE above
0.10 with its interval above 0.05 high; the sign of the mean gap between
confidence and accuracy says over- or under-confident (Giskard's calibration
detectors flag 10 % relative excess of over/under-confident rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import percentile_ci

__all__ = ["check_calibration", "expected_calibration_error", "reliability_curve"]

Array = np.ndarray[Any, Any]
BINS = 10


def _bin_index(confidence: Array, bins: int = BINS) -> Array:
    edges = np.unique(np.quantile(confidence, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, confidence, side="right")


def expected_calibration_error(confidence: Array, correct: Array, index: Array) -> tuple[float, float]:
    """(ECE, signed mean gap confidence - accuracy) over the given bins."""
    n = len(confidence)
    if n == 0:
        return (float("nan"), float("nan"))
    size = np.bincount(index)
    conf_sum = np.bincount(index, weights=confidence)
    right_sum = np.bincount(index, weights=correct.astype(float))
    used = size > 0
    gap = (conf_sum[used] - right_sum[used]) / size[used]
    weights = size[used] / n
    return float(np.sum(weights * np.abs(gap))), float(np.sum(weights * gap))


def reliability_curve(confidence: Array, correct: Array, index: Array) -> list[dict[str, float]]:
    out = []
    for b in np.unique(index):
        mask = index == b
        out.append({"confidence": float(confidence[mask].mean()), "accuracy": float(correct[mask].mean()),
                    "n": int(mask.sum())})
    return out


def check_calibration(inputs: ScanInputs) -> CheckResult:
    """ECE with a bootstrap interval, a test against perfect calibration, and over/under-confidence."""
    if inputs.task == "regression":
        return CheckResult("calibration", skipped="regressors have no class probabilities")
    if inputs.proba_test is None or inputs.classes is None:
        return CheckResult("calibration", skipped="the model has no predict_proba")
    proba = np.asarray(inputs.proba_test, dtype=float)
    classes = np.asarray(inputs.classes)
    rng = inputs.rng(53)
    y = np.asarray(inputs.y_test)
    if len(y) > 50_000:
        pick = rng.choice(len(y), 50_000, replace=False)
        proba, y = proba[pick], y[pick]
    confidence = proba.max(axis=1)
    predicted = classes[proba.argmax(axis=1)]
    correct = (predicted == y).astype(float)
    index = _bin_index(confidence)
    ece, signed = expected_calibration_error(confidence, correct, index)
    n = len(y)
    draws = 300
    boot_ece, boot_signed, null_ece = np.empty(draws), np.empty(draws), np.empty(draws)
    for i in range(draws):
        rows = rng.integers(0, n, n)
        boot_ece[i], boot_signed[i] = expected_calibration_error(confidence[rows], correct[rows], index[rows])
        simulated = (rng.random(n) < confidence).astype(float)
        null_ece[i], _ = expected_calibration_error(confidence, simulated, index)
    low, high = percentile_ci(boot_ece)
    s_low, s_high = percentile_ci(boot_signed)
    p = float((np.sum(null_ece >= ece) + 1) / (draws + 1))
    direction = "over-confident" if signed > 0 else "under-confident"
    curve = reliability_curve(confidence, correct, index)
    details = {"ece": ece, "ece_ci": [low, high], "signed_gap": signed, "signed_gap_ci": [s_low, s_high],
               "p_value": p, "null_ece_median": float(np.median(null_ece)), "direction": direction,
               "curve": curve, "n": n, "bins": BINS}
    if p >= 0.01 or ece <= 0.02:
        return CheckResult("calibration", (), details)
    severity = "high" if ece > 0.10 and low > 0.05 else ("medium" if ece > 0.05 else "low")
    worst = max(curve, key=lambda b: abs(b["confidence"] - b["accuracy"]))
    finding = Finding(
        "calibration", f"calibration.{'overconfident' if signed > 0 else 'underconfident'}", severity,
        f"probabilities are {direction}: expected calibration error {ece:.3f}",
        f"When the model says {worst['confidence']:.0%} it is right {worst['accuracy']:.0%} of the time "
        f"({worst['n']} rows). Over all rows the expected calibration error is {ece:.3f} (95% interval {low:.3f} "
        f"to {high:.3f}; a perfectly calibrated model would show about {np.median(null_ece):.3f} here, p = {p:.3g}); "
        f"on average its confidence is {abs(signed):.3f} {'above' if signed > 0 else 'below'} its accuracy.",
        "Recalibrate on held-out data (scikit-learn's CalibratedClassifierCV with method='isotonic' or 'sigmoid', "
        "or temperature scaling), and avoid reading the raw scores as probabilities until then.",
        (Estimate("expected calibration error", ece, low, high, n=n),
         Estimate("mean confidence - accuracy", signed, s_low, s_high, n=n),
         Estimate("ECE expected from sampling alone", float(np.median(null_ece)))),
        {"curve": curve, "p_value": p})
    return CheckResult("calibration", (finding,), details)
