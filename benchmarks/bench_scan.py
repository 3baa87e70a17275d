"""Model scan benchmark: the planted-issue suite through mlm.scan, Giskard's scan and Deepchecks' model_evaluation + train_test_validation suites,
and the scan time of a 100k-row x 50-feature random forest.

    pip install -e ".[bench]"          # giskard and deepchecks come with the bench extra
    python benchmarks/bench_scan.py [--quick] [--skip-peers] [--json out.json]

Each planted case (tests/scan_planted.py) has one problem; a tool "finds" it when it reports
an issue of the matching kind (the mapping per tool is in ``GISKARD_KINDS`` / ``DEEPCHECKS_KINDS``:
the issue group or failed check that names that problem). False findings are what each tool reports
on the clean model; for mlm.scan, high-severity findings (and medium, separately) over 50 seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import scan_planted as sp  # noqa: E402

from mlm_jupyter.core.severity import severity_rank  # noqa: E402
from mlm_jupyter.tracking.scan import scan_with  # noqa: E402

CATEGORICAL = ["region", "group"]

# What counts as "found" for each peer: (issue group or check name substrings, text that must appear)
GISKARD_KINDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "overfitting": ((), None),                       # a scan of one dataset has no train/test comparison
    "underfitting": ((), None),                      # no trivial-baseline comparison in the tabular scan
    "bias": (("performance",), "group"),             # a performance slice on the sensitive column
    "leakage": (("spurious", "leakage"), None),
    "fragility": (("robustness", "stochasticity"), None),
    "regression": ((), None),                        # no champion comparison
    "calibration": (("overconfidence", "underconfidence"), None),
    "slices": (("performance",), "south"),
}
DEEPCHECKS_KINDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "overfitting": (("train test performance", "boosting overfit"), None),
    "underfitting": (("simple model comparison",), None),
    "bias": (("bias",), None),
    "leakage": (("samples mix", "feature label correlation", "feature-label correlation", "leakage"), None),
    "fragility": ((), None),
    "regression": ((), None),
    "calibration": (("calibration",), None),
    "slices": (("weak segment",), None),
}


def ours(case: sp.Case) -> dict[str, Any]:
    started = time.perf_counter()
    report = scan_with(None, case.model, case.X_test, case.y_test, train=(case.X_train, case.y_train),
                       sensitive=case.sensitive, baseline=case.baseline, progress=False)
    seconds = time.perf_counter() - started
    found = any(f.check == case.expect and severity_rank(f.severity) >= severity_rank("medium")
                for f in report.findings) if case.expect else None
    return {"seconds": seconds, "found": found,
            "issues": sorted({f"{f.code}:{f.severity}" for f in report.findings}),
            "high": sum(f.severity == "high" for f in report.findings),
            "medium": sum(f.severity == "medium" for f in report.findings)}


def _matches(kind: str | None, issues: list[tuple[str, str]], table: dict[str, tuple[tuple[str, ...], str | None]]
             ) -> bool | None:
    if kind is None:
        return None
    groups, text = table[kind]
    return any(any(g in name.lower() for g in groups) and (text is None or text in detail)
               for name, detail in issues)


def giskard(case: sp.Case) -> dict[str, Any]:
    import giskard as gsk

    frame = case.X_test.assign(y=case.y_test)
    features = list(case.X_test.columns)
    model = gsk.Model(model=lambda df: case.model.predict_proba(df[features]), model_type="classification",
                      classification_labels=[0, 1], feature_names=features)
    dataset = gsk.Dataset(frame, target="y", cat_columns=CATEGORICAL)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = gsk.scan(model, dataset, raise_exceptions=False, verbose=False)
    seconds = time.perf_counter() - started
    issues = []
    for issue in results.issues:
        group = getattr(getattr(issue, "group", None), "name", "") or type(issue).__name__
        detail = f"{getattr(issue, 'slicing_fn', '')} {getattr(issue, 'description', '')} {getattr(issue, 'meta', '')}"
        issues.append((str(group), detail + f" level={getattr(issue, 'level', '')}"))
    major = sum("major" in d.lower() for _, d in issues)
    return {"seconds": seconds, "found": _matches(case.expect, issues, GISKARD_KINDS),
            "issues": sorted({g for g, _ in issues}), "count": len(issues), "major": major}


def deepchecks(case: sp.Case) -> dict[str, Any]:
    from deepchecks.tabular import Dataset, Suite
    from deepchecks.tabular.suites import model_evaluation, train_test_validation

    train = Dataset(case.X_train.assign(y=case.y_train), label="y", cat_features=CATEGORICAL)
    test = Dataset(case.X_test.assign(y=case.y_test), label="y", cat_features=CATEGORICAL)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the two suites that judge a model (data_integrity checks the data alone); permutation feature
        # importance is skipped (feature_importance_timeout=0): it costs minutes and none of the conditions need it
        suite = Suite("model", *model_evaluation().checks.values(), *train_test_validation().checks.values())
        result = suite.run(train_dataset=train, test_dataset=test, model=case.model, feature_importance_timeout=0)
    seconds = time.perf_counter() - started
    failed = []
    for check in result.get_not_passed_checks():
        name = check.get_header() if hasattr(check, "get_header") else str(check)
        failed.append((str(name), str(getattr(check, "conditions_results", ""))))
    return {"seconds": seconds, "found": _matches(case.expect, failed, DEEPCHECKS_KINDS),
            "issues": sorted({n for n, _ in failed}), "count": len(failed)}


def planted_suite(tools: dict[str, Callable[[sp.Case], dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for make in [sp.clean, *sp.PLANTED]:
        case = make(0)
        row: dict[str, Any] = {"case": case.name, "expect": case.expect}
        for name, tool in tools.items():
            try:
                row[name] = tool(case)
            except Exception as error:  # a peer that cannot handle a case: recorded, the suite goes on
                row[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
            print(f"{case.name:34s} {name:10s} {json.dumps(row[name], default=str)}", flush=True)
        rows.append(row)
    return rows


def false_findings(seeds: int) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    high, medium, seconds = 0, 0, []
    kinds: dict[str, int] = {}
    for seed in range(seeds):
        X_train, y_train, X_test, y_test = sp.clean_data(seed)
        model = sp.pipeline(LogisticRegression(max_iter=500), sp.FEATURES).fit(X_train, y_train)
        started = time.perf_counter()
        report = scan_with(None, model, X_test, y_test, train=(X_train, y_train), sensitive=["group"], seed=seed,
                           progress=False)
        seconds.append(time.perf_counter() - started)
        high += any(f.severity == "high" for f in report.findings)
        medium += any(f.severity == "medium" for f in report.findings)
        for f in report.findings:
            if f.severity in ("medium", "high"):
                kinds[f"{f.code}:{f.severity}"] = kinds.get(f"{f.code}:{f.severity}", 0) + 1
    return {"seeds": seeds, "scans_with_high": high, "scans_with_medium": medium, "kinds": kinds,
            "median_seconds": float(np.median(seconds))}


def scale(rows: int = 100_000, features: int = 50, repeats: int = 3) -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    n = 2 * rows
    X = pd.DataFrame(rng.normal(size=(n, features)).astype(np.float64), columns=[f"f{i}" for i in range(features)])
    X["segment"] = rng.choice(["a", "b", "c", "d"], n)
    logit = X.f0 - 0.8 * X.f1 + 0.5 * X.f2 * X.f3 + 0.3 * (X.segment == "b")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).to_numpy().astype(int)
    Xtr, Xte, ytr, yte = X[:rows], X[rows:].reset_index(drop=True), y[:rows], y[rows:]
    model = sp.pipeline(RandomForestClassifier(n_estimators=100, max_depth=12, min_samples_leaf=5, n_jobs=2,
                                               random_state=0), [c for c in X.columns if c != "segment"])
    fit_started = time.perf_counter()
    model.fit(Xtr.iloc[:20_000], ytr[:20_000])
    fit_seconds = time.perf_counter() - fit_started
    times, per_check = [], {}
    for _ in range(repeats):
        started = time.perf_counter()
        report = scan_with(None, model, Xte, yte, train=(Xtr, ytr), sensitive=["segment"], progress=False)
        times.append(time.perf_counter() - started)
        per_check = {c.check: round(c.seconds, 2) for c in report.checks}
    return {"rows_test": rows, "rows_train": rows, "features": features + 1, "fit_seconds_20k": fit_seconds,
            "scan_seconds": times, "median_seconds": float(np.median(times)), "per_check_seconds": per_check,
            "findings": [f"{f.code}:{f.severity}" for f in report.findings]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10 seeds, 1 repeat of the scale test")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--tools", default="mlm,giskard,deepchecks", help="comma-separated subset of the tools")
    parser.add_argument("--skip-false", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    out: dict[str, Any] = {"loadavg_start": open("/proc/loadavg").read().split()[:3], "cpus": os.cpu_count()}
    wanted = set(args.tools.split(","))
    tools: dict[str, Callable[[sp.Case], dict[str, Any]]] = {"mlm": ours} if "mlm" in wanted else {}
    if not args.skip_peers:
        for name, fn, module in (("giskard", giskard, "giskard"), ("deepchecks", deepchecks, "deepchecks")):
            if name not in wanted:
                continue
            try:
                __import__(module)
                tools[name] = fn
            except Exception as error:
                out[f"{name}_unavailable"] = f"{type(error).__name__}: {error}"
    out["planted"] = planted_suite(tools)
    if not args.skip_false:
        out["false_findings"] = false_findings(10 if args.quick else 50)
        print("false findings:", out["false_findings"], flush=True)
    if not args.skip_scale:
        out["scale"] = scale(repeats=1 if args.quick else 3)
        print("scale:", out["scale"], flush=True)
    out["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
