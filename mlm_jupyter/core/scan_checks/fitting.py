"""Overfitting and underfitting: train/test gap, learning curves that turn, and the trivial baseline.

Thresholds (defaults, documented in docs/scan.md): a relative train->test
degradation of the main metric above 10 % is a finding (Deepchecks'
``TrainTestPerformance`` default), above 20 % with its interval above 10 %
it is high. A model whose normalised gain over the trivial baseline is
below 10 % (Deepchecks' ``SimpleModelComparison`` default) is underfitting;
when the gain's interval does not clear 5 % it is high.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs, main_score
from mlm_jupyter.core.scan_checks.stats import bootstrap_rate_draws, mean_ci, percentile_ci

__all__ = ["Curve", "check_overfitting", "check_underfitting", "curve_turn", "pair_curves"]

Array = np.ndarray[Any, Any]
GAP_THRESHOLD = 0.10
_LOWER_IS_BETTER = re.compile(r"loss|error|err\b|mse|mae|rmse|logloss|deviance|nll|perplexity|cost", re.I)
_VAL = re.compile(r"^(validation|valid|val|test|eval|dev|holdout)[_/.\-]|[_/.\-](validation|valid|val|test|eval|dev)$",
                  re.I)


@dataclass(frozen=True)
class Curve:
    """A training curve and its validation partner, as (step, value) arrays."""

    name: str
    train_steps: Array
    train_values: Array
    val_steps: Array
    val_values: Array
    lower_is_better: bool
    source: str = "run history"


def pair_curves(keys: Sequence[str]) -> list[tuple[str, str, bool]]:
    """``(train_key, validation_key, lower_is_better)`` for metric names that pair up.

    ``val_loss`` pairs with ``train_loss`` or ``loss``; ``valid/auc`` with ``train/auc``; ``loss_val`` with
    ``loss_train`` or ``loss``.
    """
    known = set(keys)
    pairs = []
    for key in keys:
        match = _VAL.search(key)
        if not match:
            continue
        stem = _VAL.sub("", key)
        if not stem:
            continue
        sep = "_"
        for candidate in (f"train{sep}{stem}", f"train/{stem}", f"train.{stem}", f"training_{stem}",
                          f"{stem}{sep}train", stem):
            if candidate in known and candidate != key:
                pairs.append((candidate, key, bool(_LOWER_IS_BETTER.search(stem))))
                break
    return pairs


def curve_turn(curve: Curve) -> dict[str, Any] | None:
    """Where the validation curve turned worse while the training curve kept improving, or ``None``.

    The validation best must be followed by at least three points (and 10 % of the curve) whose tail mean
    is worse than the best by more than twice the curve's step-to-step noise, while the training value at
    the end is better than at the best validation step.
    """
    vs, vv = np.asarray(curve.val_steps, dtype=float), np.asarray(curve.val_values, dtype=float)
    ts, tv = np.asarray(curve.train_steps, dtype=float), np.asarray(curve.train_values, dtype=float)
    keep = np.isfinite(vv)
    vs, vv = vs[keep], vv[keep]
    if len(vv) < 6 or len(tv) < 3:
        return None
    sign = 1.0 if curve.lower_is_better else -1.0
    v, t = sign * vv, sign * tv
    best = int(np.argmin(v))
    after = len(v) - best - 1
    if after < max(3, int(0.1 * len(v))):
        return None
    tail = v[best + 1:][-max(3, after // 2):]
    rise = float(tail.mean() - v[best])
    noise = float(np.median(np.abs(np.diff(v)))) if len(v) > 2 else 0.0
    span = float(np.max(v) - np.min(v))
    if rise <= max(2 * noise, 0.01 * span, 1e-12):
        return None
    train_at_best = float(np.interp(vs[best], ts, t))
    train_end = float(t[-1])
    if not train_end < train_at_best - max(1e-12, 0.001 * abs(train_at_best)):
        return None
    improvement = float(v[0] - v[best])
    relative = rise / improvement if improvement > 0 else float("inf")
    return {"curve": curve.name, "best_step": int(vs[best]), "best_value": float(vv[best]),
            "final_value": float(vv[-1]), "rise": rise, "relative_rise": relative,
            "train_at_best": float(sign * train_at_best), "train_final": float(tv[-1]),
            "lower_is_better": curve.lower_is_better, "source": curve.source,
            "points": {"val_steps": vs.tolist(), "val_values": vv.tolist(),
                       "train_steps": ts.tolist(), "train_values": tv.tolist()}}


def _score_draws(inputs: ScanInputs, X_y_pred: tuple[Array, Array], rng: np.random.Generator,
                 draws: int) -> Array:
    y, pred = X_y_pred
    if inputs.task != "regression":
        return bootstrap_rate_draws(int(np.sum(y == pred)), len(y), rng, draws)
    n = len(y)
    if n > 20_000:
        pick = rng.choice(n, 20_000, replace=False)
        y, pred, n = y[pick], pred[pick], 20_000
    out = np.empty(draws)
    for i in range(draws):
        index = rng.integers(0, n, n)
        out[i] = main_score("regression", y[index], pred[index])
    return out


def _gap_finding(inputs: ScanInputs) -> tuple[Finding | None, dict[str, Any]]:
    assert inputs.y_train is not None and inputs.pred_train is not None
    rng = inputs.rng(11)
    draws = 2000 if inputs.task != "regression" else 300
    scored = inputs.y_train_scored if inputs.y_train_scored is not None else inputs.y_train
    y_tr, p_tr = np.asarray(scored), np.asarray(inputs.pred_train)
    y_te, p_te = np.asarray(inputs.y_test), np.asarray(inputs.pred_test)
    train_score, test_score = main_score(inputs.task, y_tr, p_tr), main_score(inputs.task, y_te, p_te)
    tr, te = _score_draws(inputs, (y_tr, p_tr), rng, draws), _score_draws(inputs, (y_te, p_te), rng, draws)
    gap = train_score - test_score
    gap_low, gap_high = percentile_ci(tr - te)
    scale = abs(train_score) if abs(train_score) > 1e-9 else 1.0
    relative = gap / scale
    rel_low, rel_high = percentile_ci((tr - te) / np.where(np.abs(tr) > 1e-9, np.abs(tr), 1.0))
    details = {"train_score": train_score, "test_score": test_score, "gap": gap, "gap_ci": [gap_low, gap_high],
               "relative": relative, "relative_ci": [rel_low, rel_high], "metric": inputs.metric_name,
               "n_train": len(y_tr), "n_test": len(y_te)}
    if not (gap_low > 0 and relative > GAP_THRESHOLD / 2):
        return None, details
    if relative > 2 * GAP_THRESHOLD and rel_low > GAP_THRESHOLD:
        severity = "high"
    elif relative > GAP_THRESHOLD:
        severity = "medium"
    else:
        severity = "low"
    metric = inputs.metric_name
    finding = Finding(
        "overfitting", "overfitting.train_test_gap", severity,
        f"{metric} drops from {train_score:.3f} on train to {test_score:.3f} on test ({relative:.0%} worse)",
        f"The model does much better on the rows it was trained on than on new rows: its {metric} falls by "
        f"{gap:.3f} ({relative:.0%} of the train value; 95% interval of the gap {gap_low:.3f} to {gap_high:.3f}). "
        "It has learned details of the training rows that do not carry over.",
        "Regularise (shallower trees, fewer leaves, min_samples_leaf, stronger penalty), use early stopping on a "
        "validation set, get more training data, or drop noisy features; pick settings by cross-validation.",
        (Estimate(f"train {metric}", train_score, n=len(y_tr)), Estimate(f"test {metric}", test_score, n=len(y_te)),
         Estimate(f"gap ({metric})", gap, gap_low, gap_high), Estimate("relative degradation", relative, rel_low,
                                                                       rel_high)),
        details)
    return finding, details


def _curve_finding(turn: Mapping[str, Any]) -> Finding:
    relative = float(turn["relative_rise"])
    severity = "high" if relative > 0.5 else ("medium" if relative > 0.1 else "low")
    word = "loss" if turn["lower_is_better"] else "score"
    return Finding(
        "overfitting", "overfitting.curve_turn", severity,
        f"validation {turn['curve']} was best at step {turn['best_step']} and got worse after it while training "
        "kept improving",
        f"In the {turn['source']}, the validation curve of {turn['curve']} reached its best value "
        f"{turn['best_value']:.4g} at step {turn['best_step']} and ended at {turn['final_value']:.4g}, while the "
        f"training {word} kept improving ({turn['train_at_best']:.4g} -> {turn['train_final']:.4g}). Training "
        "past that step fitted the training data at the expense of new data.",
        f"Stop training at (or restore the checkpoint of) step {turn['best_step']}: use early stopping on the "
        "validation metric, or regularise and lower the learning rate.",
        (Estimate("best step", float(turn["best_step"])), Estimate("best validation value", turn["best_value"]),
         Estimate("final validation value", turn["final_value"]), Estimate("rise after best", turn["rise"]),
         Estimate("rise / earlier improvement", relative if math.isfinite(relative) else None)),
        dict(turn))


def check_overfitting(inputs: ScanInputs, curves: Sequence[Curve] = ()) -> CheckResult:
    """Train/test gap of the main metric, and learning curves that turn (from the run's history or the model)."""
    findings: list[Finding] = []
    details: dict[str, Any] = {"curves": []}
    if inputs.y_train is not None and inputs.pred_train is not None and len(inputs.y_train):
        finding, gap = _gap_finding(inputs)
        details["gap"] = gap
        if finding is not None:
            findings.append(finding)
    for curve in curves:
        turn = curve_turn(curve)
        details["curves"].append({"curve": curve.name, "source": curve.source, "turned": turn is not None,
                                  "best_step": turn["best_step"] if turn else None})
        if turn is not None:
            findings.append(_curve_finding(turn))
    if "gap" not in details and not curves:
        return CheckResult("overfitting", details=details,
                           skipped="no training data (train=) and no learning curves in the run's history")
    return CheckResult("overfitting", tuple(findings), details)


def check_underfitting(inputs: ScanInputs) -> CheckResult:
    """Gain of the model over the trivial baseline (majority class, or the training mean), with its interval."""
    y = np.asarray(inputs.y_test)
    reference = np.asarray(inputs.y_train) if inputs.y_train is not None and len(inputs.y_train) else y
    if inputs.task == "regression":
        baseline_value: Any = float(np.mean(reference.astype(float)))
        base_loss = (y.astype(float) - baseline_value) ** 2
        model_loss = (y.astype(float) - np.asarray(inputs.pred_test, dtype=float)) ** 2
        baseline_name = f"predict the training mean {baseline_value:.4g}"
        scale = float(base_loss.mean()) or 1.0
        diff = (base_loss - model_loss) / scale
    else:
        values, counts = np.unique(reference.astype(str) if reference.dtype.kind == "O" else reference,
                                   return_counts=True)
        baseline_value = values[int(np.argmax(counts))]
        baseline_value = baseline_value.item() if hasattr(baseline_value, "item") else baseline_value
        base_right = (y == baseline_value).astype(float)
        model_right = (y == np.asarray(inputs.pred_test)).astype(float)
        baseline_name = f"always predict the majority class {baseline_value!r}"
        scale = 1.0 - float(base_right.mean())
        scale = scale if scale > 1e-12 else 1.0
        diff = (model_right - base_right) / scale
    gain, low, high = mean_ci(diff)
    if inputs.task == "regression":
        base_score = main_score("regression", y, np.full(len(y), float(baseline_value)))
    else:
        base_score = float(np.mean(y == baseline_value))
    details = {"baseline": baseline_name, "baseline_score": base_score, "model_score": inputs.test_score(),
               "gain": gain, "gain_ci": [low, high], "metric": inputs.metric_name, "n": len(y)}
    if gain >= GAP_THRESHOLD:
        return CheckResult("underfitting", (), details)
    severity = "high" if high < 0.05 else "medium"
    finding = Finding(
        "underfitting", "underfitting.no_better_than_baseline", severity,
        f"only {gain:.1%} better than a trivial baseline ({baseline_name})",
        f"On the test data the model removes only {gain:.1%} of the baseline's error (95% interval {low:.1%} to "
        f"{high:.1%}); the trivial rule '{baseline_name}' scores {base_score:.3f} {inputs.metric_name} against the "
        f"model's {inputs.test_score():.3f}. The model has learned little or nothing the features could tell it.",
        "Check that features and labels line up (joins, shuffles), that the model is fitted and not constant, add "
        "informative features, or use a more flexible model / weaker regularisation.",
        (Estimate("gain over baseline (share of baseline error removed)", gain, low, high, n=len(y)),
         Estimate(f"baseline {inputs.metric_name}", base_score), Estimate(f"model {inputs.metric_name}",
                                                                         inputs.test_score())),
        details)
    return CheckResult("underfitting", (finding,), details)
