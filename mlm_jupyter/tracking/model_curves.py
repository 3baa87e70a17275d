"""Learning curves a fitted model carries itself: XGBoost/LightGBM eval results, scikit-learn staged predictions.

They feed the overfitting check's curve-turn test when the run logged no
validation history. Staged predictions are scored on (a sample of) the scan's
test rows, so the "validation" curve is the test data's loss per stage.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from mlm_jupyter.core.scan_checks import Curve, ScanInputs

__all__ = ["model_curves"]

log = logging.getLogger("mlm_jupyter")
Array = np.ndarray[Any, Any]
_LOWER = ("loss", "error", "rmse", "mae", "mse", "logloss", "l1", "l2", "mlogloss", "deviance")


def _split_pipeline(model: Any) -> tuple[Any, Any]:
    """``(transform, final estimator)`` of a scikit-learn Pipeline, else ``(None, model)``."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps:
        return model[:-1], steps[-1][1]
    return None, model


def _eval_curves(estimator: Any) -> list[Curve]:
    results: Any = None
    if hasattr(estimator, "evals_result_") and isinstance(getattr(estimator, "evals_result_", None), dict):
        results = estimator.evals_result_  # LightGBM
    elif callable(getattr(estimator, "evals_result", None)):
        try:
            results = estimator.evals_result()  # XGBoost
        except Exception:
            results = None
    if not isinstance(results, dict) or len(results) < 2:
        return []
    names = list(results)
    train_name = next((n for n in names if "train" in n.lower()), names[0])
    val_name = next((n for n in reversed(names) if n != train_name), None)
    if val_name is None:
        return []
    curves = []
    for metric, values in results[val_name].items():
        train_values = results[train_name].get(metric)
        if train_values is None or len(values) < 6:
            continue
        steps = np.arange(1, len(values) + 1)
        lower = any(word in metric.lower() for word in _LOWER)
        curves.append(Curve(f"{val_name} {metric}", steps, np.asarray(train_values, dtype=float), steps,
                            np.asarray(values, dtype=float), lower, f"the model's own eval results ({type(estimator).__name__})"))
    return curves


def _staged_loss(estimator: Any, X: Any, y: Array, classes: Any, task: str, every: int) -> tuple[Array, Array]:
    steps, losses = [], []
    if task != "regression" and hasattr(estimator, "staged_predict_proba") and classes is not None:
        index = {c: i for i, c in enumerate(list(classes))}
        rows = np.array([index.get(v, -1) for v in y])
        keep = rows >= 0
        for stage, proba in enumerate(estimator.staged_predict_proba(X), start=1):
            if stage % every == 0 or stage == 1:
                p = np.clip(np.asarray(proba)[keep, rows[keep]], 1e-12, 1.0)
                steps.append(stage)
                losses.append(float(-np.mean(np.log(p))))
    else:
        for stage, pred in enumerate(estimator.staged_predict(X), start=1):
            if stage % every == 0 or stage == 1:
                steps.append(stage)
                losses.append(float(np.mean((np.asarray(y, dtype=float) - np.asarray(pred, dtype=float)) ** 2))
                              if task == "regression" else float(np.mean(np.asarray(pred) != y)))
    return np.asarray(steps), np.asarray(losses)


def _staged_curves(model: Any, inputs: ScanInputs) -> list[Curve]:
    transform, estimator = _split_pipeline(model)
    if not hasattr(estimator, "staged_predict") or inputs.X_train is None or inputs.y_train is None:
        return []
    stages = int(getattr(estimator, "n_estimators_", getattr(estimator, "n_estimators", 0)) or 0)
    if stages < 6:
        return []
    every = max(1, stages // 100)
    rng = inputs.rng(71)
    te = np.sort(rng.choice(inputs.n, min(inputs.n, 5000), replace=False))
    tr = np.sort(rng.choice(len(inputs.X_train), min(len(inputs.X_train), 5000), replace=False))
    X_te, X_tr = inputs.X_test.iloc[te], inputs.X_train.iloc[tr]
    if transform is not None:
        X_te, X_tr = transform.transform(X_te), transform.transform(X_tr)
    classes = getattr(estimator, "classes_", None)
    t_steps, t_loss = _staged_loss(estimator, X_tr, np.asarray(inputs.y_train)[tr], classes, inputs.task, every)
    v_steps, v_loss = _staged_loss(estimator, X_te, np.asarray(inputs.y_test)[te], classes, inputs.task, every)
    name = "log loss" if inputs.task != "regression" and hasattr(estimator, "staged_predict_proba") else "loss"
    return [Curve(f"test {name} per boosting stage", t_steps, t_loss, v_steps, v_loss, True,
                  f"the model's staged predictions ({type(estimator).__name__})")]


def model_curves(model: Any, inputs: ScanInputs) -> list[Curve]:
    """Every train/validation curve the model itself can give (empty when it has none)."""
    try:
        _, estimator = _split_pipeline(model)
        return _eval_curves(estimator) + _staged_curves(model, inputs)
    except Exception as error:  # a curve is a bonus: the scan goes on without it
        log.debug("mlm-jupyter: no learning curve from %s: %s", type(model).__name__, error)
        return []
