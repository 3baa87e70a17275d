"""Leakage: test rows that are in the training data (exactly or nearly), single features that predict the
target implausibly well, and train/test data split after a transformation that saw both.

Exact rows are compared by the 64-bit row hashes of ``core.row_sketch``
(features and target); the share of test rows found in train is judged
against the share of training rows that repeat within train (what the data's
own repetition explains). More than 5 % excess is high (Deepchecks'
``TrainTestSamplesMix`` default), more than 1 % medium. Near-duplicates are
test rows whose nearest training row (standardised numeric features, same
categorical values) is closer than 5 % of the typical train-to-train
neighbour distance. A single feature whose one-feature predictor removes
80 % or more of the baseline error (Deepchecks' ``FeatureLabelCorrelation``
PPS default) is medium, 90 % high.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from mlm_jupyter.core.row_sketch import column_row_hashes, combine_row_hashes
from mlm_jupyter.core.scan_checks.findings import CheckResult, Estimate, Finding
from mlm_jupyter.core.scan_checks.inputs import ScanInputs
from mlm_jupyter.core.scan_checks.stats import proportion_z_test, wilson

__all__ = ["check_leakage", "frame_row_hashes", "shared_ancestors", "single_feature_power"]

Array = np.ndarray[Any, Any]
PPS_THRESHOLD = 0.8
PPS_HIGH = 0.9


def frame_row_hashes(frame: pd.DataFrame, target: Array | None = None) -> Array:
    """One 64-bit hash per row over every column (and the target, when given)."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        values = series.to_numpy()
        if values.dtype == object or isinstance(series.dtype, pd.CategoricalDtype):
            values = series.astype(object).where(series.notna(), None).to_numpy()
        columns.append(column_row_hashes(values))
    if target is not None:
        columns.append(column_row_hashes(np.asarray(target)))
    hashes: Array = combine_row_hashes(columns, len(frame))
    return hashes


def _exact(inputs: ScanInputs, sketch_overlap: Mapping[str, Any] | None) -> tuple[Finding | None, dict[str, Any]]:
    assert inputs.X_train is not None and inputs.y_train is not None
    train_hash = frame_row_hashes(inputs.X_train, inputs.y_train)
    test_hash = frame_row_hashes(inputs.X_test, inputs.y_test)
    shared = np.isin(test_hash, train_hash)
    k, n = int(shared.sum()), len(test_hash)
    _, inverse, counts = np.unique(train_hash, return_inverse=True, return_counts=True)
    repeated = int(np.sum(counts[inverse] > 1))
    baseline = repeated / max(len(train_hash), 1)
    rate = k / max(n, 1)
    low, high = wilson(k, n)
    p = proportion_z_test(k, n, repeated, len(train_hash))
    excess = rate - baseline
    details = {"shared_rows": k, "test_rows": n, "shared_fraction": rate, "shared_ci": [low, high],
               "train_repeat_fraction": baseline, "excess": excess, "p_value": p,
               "examples": np.flatnonzero(shared)[:10].tolist(), "method": "row hashes (core.row_sketch)"}
    if sketch_overlap:
        details["sketch_overlap"] = dict(sketch_overlap)
    if k < 3 or p > 0.001 or excess <= 0.001:
        return None, details
    severity = "high" if excess > 0.05 else ("medium" if excess > 0.01 else "low")
    evidence = [Estimate("test rows also in train", rate, low, high, n=n), Estimate("shared rows", float(k)),
                Estimate("share of train rows repeated within train", baseline, n=len(train_hash))]
    if sketch_overlap and sketch_overlap.get("b_in_a") is not None:
        evidence.append(Estimate("test-in-train share from the logged row sketches", sketch_overlap["b_in_a"]))
    return Finding(
        "leakage", "leakage.shared_rows", severity,
        f"{k} test rows ({rate:.1%}) also appear in the training data",
        f"{k} of {n} test rows (features and target; 95% interval {low:.1%} to {high:.1%}) are exact copies of "
        f"training rows, while only {baseline:.1%} of training rows repeat within the training data itself. The "
        "model has seen these answers, so the test score overstates how it will do on new data.",
        "Deduplicate before splitting, split by entity (customer, patient, session) with a group split, and "
        "re-evaluate on rows the model never saw.", tuple(evidence), details), details


def _standardised(frame: pd.DataFrame, columns: Sequence[str], centre: Array, scale: Array) -> Array:
    values = frame[list(columns)].to_numpy(dtype=float, na_value=np.nan)
    values = (values - centre) / scale
    filled: Array = np.nan_to_num(values, nan=0.0)
    return filled


def _nearest(a: Array, b: Array, exclude_self: bool = False) -> tuple[Array, Array]:
    """Distance from each row of ``a`` to its nearest row of ``b``, and that row's index (chunked brute force)."""
    out = np.empty(len(a))
    where = np.empty(len(a), dtype=np.int64)
    b_sq = np.sum(b * b, axis=1)
    chunk = max(1, 4_000_000 // max(len(b), 1))
    for start in range(0, len(a), chunk):
        part = a[start:start + chunk]
        d2 = np.sum(part * part, axis=1)[:, None] + b_sq[None, :] - 2 * part @ b.T
        if exclude_self:
            d2[np.arange(len(part)), np.arange(start, start + len(part))] = np.inf
        best = d2.argmin(axis=1)
        where[start:start + len(part)] = best
        out[start:start + len(part)] = np.sqrt(np.maximum(d2[np.arange(len(part)), best], 0.0))
    return out, where


def _near(inputs: ScanInputs) -> tuple[Finding | None, dict[str, Any]]:
    assert inputs.X_train is not None
    numeric = [c for c, k in inputs.kinds.items() if k == "numeric" and c in inputs.X_train.columns]
    if not numeric:
        return None, {"skipped": "no numeric features"}
    rng = inputs.rng(31)
    train, test = inputs.X_train, inputs.X_test
    tr_idx = np.sort(rng.choice(len(train), min(len(train), 20_000), replace=False))
    te_idx = np.sort(rng.choice(len(test), min(len(test), 1000), replace=False))
    values = train[numeric].to_numpy(dtype=float, na_value=np.nan)
    centre = np.nanmedian(values, axis=0)
    scale = np.nanstd(values, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    a = _standardised(train.iloc[tr_idx], numeric, centre, scale)
    t = _standardised(test.iloc[te_idx], numeric, centre, scale)
    categorical = [c for c, k in inputs.kinds.items() if k == "categorical" and c in train.columns]
    cat_train = frame_row_hashes(train.iloc[tr_idx][categorical]) if categorical else np.zeros(len(tr_idx), np.uint64)
    cat_test = frame_row_hashes(test.iloc[te_idx][categorical]) if categorical else np.zeros(len(te_idx), np.uint64)
    ref = np.arange(min(1000, len(a)))
    d_train, w_train = _nearest(a[ref], a, exclude_self=True)
    d_test, w_test = _nearest(t, a)
    # the a^2 + b^2 - 2ab expansion leaves ~1e-8 where rows are identical: those are exact copies, not near ones
    d_train = np.where(d_train < 1e-6, 0.0, d_train)
    d_test = np.where(d_test < 1e-6, 0.0, d_test)
    positive = d_train[(d_train > 0) & np.isfinite(d_train)]
    if len(positive) == 0:
        return None, {"skipped": "training rows are all identical"}
    tau = 0.05 * float(np.median(positive))
    near_test = (d_test > 0) & (d_test <= tau) & (cat_test == cat_train[w_test])
    near_train = (d_train > 0) & (d_train <= tau) & (cat_train[ref] == cat_train[w_train])
    k, n = int(near_test.sum()), len(d_test)
    kb, nb = int(near_train.sum()), len(d_train)
    rate, baseline = k / n, kb / max(nb, 1)
    low, high = wilson(k, n)
    p = proportion_z_test(k, n, kb, nb)
    details = {"near_rows": k, "sampled_test_rows": n, "near_fraction": rate, "near_ci": [low, high],
               "train_near_fraction": baseline, "distance_threshold": tau, "p_value": p, "features": numeric[:50]}
    excess = rate - baseline
    if k < 3 or p > 0.001 or excess <= 0.01:
        return None, details
    severity = "high" if excess > 0.05 else "medium"
    return Finding(
        "leakage", "leakage.near_duplicates", severity,
        f"{rate:.1%} of sampled test rows are near-copies of training rows",
        f"{k} of {n} sampled test rows lie within {tau:.3g} (standardised units, 5% of the typical distance between "
        f"neighbouring training rows) of a training row with the same categories, against {baseline:.1%} of "
        "training rows among themselves. Such rows are usually the same entity recorded twice (re-sampled, "
        "rounded or jittered), so the test score is optimistic.",
        "Split by entity or time instead of by row, or drop near-duplicates (after rounding) before splitting.",
        (Estimate("test rows with a near-copy in train", rate, low, high, n=n),
         Estimate("train rows with a near-copy in train", baseline, n=nb)), details), details


def single_feature_power(task: str, x_fit: pd.Series, y_fit: Array, x_eval: pd.Series, y_eval: Array,
                         kind: str) -> float:
    """Share of the baseline error that a one-feature lookup (20 quantile bins or the categories) removes."""
    y_fit, y_eval = np.asarray(y_fit), np.asarray(y_eval)
    if kind == "numeric":
        fit_values = pd.to_numeric(x_fit, errors="coerce").to_numpy(dtype=float)
        finite = fit_values[np.isfinite(fit_values)]
        if len(finite) == 0:
            return 0.0
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, 21)[1:-1]))
        eval_values = pd.to_numeric(x_eval, errors="coerce").to_numpy(dtype=float)
        fit_key = np.where(np.isnan(fit_values), 0, np.searchsorted(edges, fit_values) + 1)
        eval_key = np.where(np.isnan(eval_values), 0, np.searchsorted(edges, eval_values) + 1)
    else:
        both = np.concatenate([x_fit.astype(str).to_numpy(), x_eval.astype(str).to_numpy()])
        _, codes = np.unique(both, return_inverse=True)
        fit_key, eval_key = codes[:len(x_fit)], codes[len(x_fit):]
    keys = int(max(fit_key.max(initial=0), eval_key.max(initial=0))) + 1
    counts = np.bincount(fit_key, minlength=keys)
    if task == "regression":
        y_fit_f, y_eval_f = y_fit.astype(float), y_eval.astype(float)
        mean = float(np.mean(y_fit_f))
        sums = np.bincount(fit_key, weights=y_fit_f, minlength=keys)
        means = np.where(counts > 0, sums / np.maximum(counts, 1), mean)
        base = float(np.sum((y_eval_f - mean) ** 2))
        return 1.0 - float(np.sum((y_eval_f - means[eval_key]) ** 2)) / base if base > 0 else 0.0
    labels, y_codes = np.unique(np.concatenate([y_fit.astype(str), y_eval.astype(str)]), return_inverse=True)
    fit_codes, eval_codes = y_codes[:len(y_fit)], y_codes[len(y_fit):]
    table = np.bincount(fit_key * len(labels) + fit_codes, minlength=keys * len(labels)).reshape(keys, len(labels))
    majority = int(np.bincount(fit_codes, minlength=len(labels)).argmax())
    best = np.where(counts > 0, table.argmax(axis=1), majority)
    base_acc = float(np.mean(eval_codes == majority))
    acc = float(np.mean(eval_codes == best[eval_key]))
    return (acc - base_acc) / (1 - base_acc) if base_acc < 1 else 0.0


def _single(inputs: ScanInputs) -> tuple[list[Finding], dict[str, Any]]:
    if inputs.X_train is not None and inputs.y_train is not None:
        x_fit, y_fit, x_eval, y_eval = inputs.X_train, inputs.y_train, inputs.X_test, inputs.y_test
    else:
        half = len(inputs.X_test) // 2
        x_fit, y_fit = inputs.X_test.iloc[:half], np.asarray(inputs.y_test)[:half]
        x_eval, y_eval = inputs.X_test.iloc[half:], np.asarray(inputs.y_test)[half:]
    rng = inputs.rng(37)
    if len(x_fit) > 50_000:
        pick = rng.choice(len(x_fit), 50_000, replace=False)
        x_fit, y_fit = x_fit.iloc[pick], np.asarray(y_fit)[pick]
    powers = {}
    for column, kind in inputs.kinds.items():
        if kind == "text" or column not in x_fit.columns:
            continue
        powers[column] = single_feature_power(inputs.task, x_fit[column], np.asarray(y_fit), x_eval[column],
                                              np.asarray(y_eval), kind)
    ranked = sorted(powers.items(), key=lambda item: -item[1])
    findings = []
    model_score = inputs.test_score()
    for column, power in ranked:
        if power < PPS_THRESHOLD:
            break
        severity = "high" if power >= PPS_HIGH else "medium"
        findings.append(Finding(
            "leakage", "leakage.single_feature", severity,
            f"feature {column!r} alone predicts the target almost perfectly ({power:.0%} of the baseline error "
            "removed)",
            f"A lookup on {column!r} alone (its 20 quantile bins or its categories, learned on the training data) "
            f"removes {power:.0%} of the trivial baseline's error on the test data; the whole model scores "
            f"{model_score:.3f} {inputs.metric_name}. A single feature this predictive is usually the target in "
            "disguise: recorded after the outcome, derived from the label, or an ID that encodes it.",
            f"Find out when and how {column!r} is recorded; if it is not known at prediction time, or is computed "
            "from the label, drop it and retrain. If it is legitimately this predictive, no model is needed.",
            (Estimate(f"one-feature power of {column}", power, n=len(y_eval)),
             Estimate(f"model {inputs.metric_name}", model_score)),
            {"feature": column, "power": power}))
    return findings, {"feature_power": [{"feature": c, "power": p} for c, p in ranked[:20]]}


def shared_ancestors(graph: Mapping[str, Any], train_node: str, test_node: str) -> list[dict[str, Any]]:
    """Data nodes upstream of both the train and the test data that some run or cell *wrote* (transformed).

    ``graph`` is a lineage graph (``{"nodes": [...], "edges": [{"source", "target", "label"}]}``); edges
    go from a run or cell to the data it wrote and from data to the run that read it.
    """
    parents: dict[str, set[str]] = {}
    for edge in graph.get("edges", []):
        parents.setdefault(str(edge["target"]), set()).add(str(edge["source"]))
    nodes = {str(n["id"]): n for n in graph.get("nodes", [])}

    def ancestors(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            current = stack.pop()
            for parent in parents.get(current, ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    common = ancestors(train_node) & ancestors(test_node)
    found = []
    for node_id in sorted(common):
        node = nodes.get(node_id, {})
        if node.get("type") != "data":
            continue
        writers = [p for p in parents.get(node_id, ()) if nodes.get(p, {}).get("type") in ("run", "cell")]
        if writers:
            found.append({"data": node_id, "label": node.get("label", node_id),
                          "written_by": [nodes[w].get("label", w) for w in writers]})
    return found


def _lineage_finding(shared: Sequence[Mapping[str, Any]]) -> Finding:
    first = shared[0]
    return Finding(
        "leakage", "leakage.shared_lineage", "low",
        f"train and test data both descend from {first['label']}, which {', '.join(first['written_by'])} wrote",
        f"The lineage of the run shows the training and test data split from {first['label']}, a dataset produced "
        f"by {', '.join(first['written_by'])}. If that step fitted anything on all rows (scaling, imputation, "
        "feature selection, target encoding, resampling), information from the test rows reached the training "
        "data before the split.",
        "Split first, then fit every transformation on the training rows only (a scikit-learn Pipeline does this).",
        (Estimate("shared transformed ancestors", float(len(shared))),), {"shared": list(shared)})


def check_leakage(inputs: ScanInputs, *, sketch_overlap: Mapping[str, Any] | None = None,
                  lineage_shared: Sequence[Mapping[str, Any]] = ()) -> CheckResult:
    """Shared rows, near-duplicates, single-feature leaks and shared transformed ancestors."""
    findings: list[Finding] = []
    details: dict[str, Any] = {}
    if inputs.X_train is not None and inputs.y_train is not None:
        exact, details["shared_rows"] = _exact(inputs, sketch_overlap)
        near, details["near_duplicates"] = _near(inputs)
        findings += [f for f in (exact, near) if f is not None]
    single, single_details = _single(inputs)
    findings += single
    details.update(single_details)
    if lineage_shared:
        findings.append(_lineage_finding(lineage_shared))
        details["lineage"] = list(lineage_shared)
    findings.sort(key=lambda f: ("info", "low", "medium", "high").index(f.severity), reverse=True)
    return CheckResult("leakage", tuple(findings), details)
