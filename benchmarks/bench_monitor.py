"""Benchmarks of model observation (figures go to BENCHMARKS.md, "Model observation").

1. Overhead of a monitored ``predict`` against a plain one: a scikit-learn random forest on 1,000-row batches.
2. Logging throughput from one process: 50-feature rows (45 float + 5 text) in 10k-row batches, as the caller
   sees it and until durable (``flush()``: Parquet partitions and window summaries written), plus rows per
   CPU-second of the process (the figure a loaded shared machine does not distort as much).
3. A drift report over 1M logged rows x 50 features against a 20k-row reference.
4. The same report by Evidently (DataDriftPreset, its default tests) on the same data: time ratio and
   per-feature verdict agreement. Evidently needs pandas < 3, so it runs in its own environment
   (``--evidently-python``, default /work/venvs/observe-evidently/bin/python) on the same Parquet files.

Run: ``python benchmarks/bench_monitor.py [--rows 1000000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

import mlm_jupyter as mlm

FEATURES = 50
CATEGORICAL = 5
DRIFTED_NUMERIC = {"x0": ("shift", 0.5), "x1": ("shift", 0.5), "x2": ("shift", 0.3), "x3": ("scale", 2.0),
                   "x4": ("scale", 1.6), "x5": ("shift", 0.05)}
DRIFTED_CATEGORICAL = {"c0": [0.2, 0.2, 0.6], "c1": [0.34, 0.33, 0.33]}


def frame(rows: int, seed: int, drifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(FEATURES - CATEGORICAL):
        name = f"x{i}"
        values = rng.normal(0.0, 1.0, rows)
        if drifted and name in DRIFTED_NUMERIC:
            kind, amount = DRIFTED_NUMERIC[name]
            values = values + amount if kind == "shift" else values * amount
        data[name] = values
    for i in range(CATEGORICAL):
        name = f"c{i}"
        probs = DRIFTED_CATEGORICAL.get(name, [0.5, 0.3, 0.2]) if drifted else [0.5, 0.3, 0.2]
        data[name] = rng.choice(np.array(["a", "b", "c"], dtype=object), rows, p=probs)
    return pd.DataFrame(data)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_overhead(batches: int) -> dict[str, float]:
    from sklearn.ensemble import RandomForestClassifier

    train = frame(20_000, 0, False).select_dtypes("number").iloc[:, :20]
    y = (train["x0"] + train["x1"] > 0).astype(int)
    model = RandomForestClassifier(n_estimators=100, max_depth=10, n_jobs=1, random_state=0).fit(train, y)
    with mlm.start_run():
        mlm.log_input(train, name="rf-train", role="train")
        version = mlm.log_model(model, name="rf", input_example=train[:5])
    mlm.set_alias("rf", "production", version.version)
    plain = mlm.load_model("models:/rf@production")
    monitored = mlm.load_model("models:/rf@production", monitor=True)
    batch = frame(1000, 1, False).select_dtypes("number").iloc[:, :20]
    plain_times, monitored_times, log_times = [], [], []
    for i in range(batches):  # interleaved, the order alternating, so load swings and warm caches hit both alike
        for kind in (("plain", "monitored") if i % 2 == 0 else ("monitored", "plain")):
            started = time.perf_counter()
            (plain if kind == "plain" else monitored).predict(batch)
            (plain_times if kind == "plain" else monitored_times).append(time.perf_counter() - started)
    y = plain.predict(batch)
    for _ in range(batches):  # the monitor's own share: one log() of the same batch and its predictions
        started = time.perf_counter()
        monitored.monitor.log(batch, y)
        log_times.append(time.perf_counter() - started)
    monitored.monitor.close()
    p, m = statistics.median(plain_times), statistics.median(monitored_times)
    return {"plain_ms": p * 1e3, "monitored_ms": m * 1e3, "overhead_pct": (m / p - 1) * 100,
            "log_ms": statistics.median(log_times) * 1e3,
            "log_share_pct": statistics.median(log_times) / p * 100}


def bench_logging(rows: int, repeat: int, batch_rows: int = 10_000) -> dict[str, float]:
    """Rows/s of ``Monitor.log`` as the caller sees it, and until durable (``flush()`` returned: Parquet files
    and window summaries written), 50-feature rows (45 float + 5 text) in ``batch_rows``-row batches.

    Also the process CPU seconds the whole thing cost (every thread), so a figure taken on a loaded shared
    machine can be read as "rows per second of one core".
    """
    from sklearn.linear_model import LogisticRegression

    reference = frame(20_000, 2, False)
    numeric = reference.select_dtypes("number")
    model = LogisticRegression(max_iter=200).fit(numeric, (numeric["x0"] > 0).astype(int))
    with mlm.start_run():
        mlm.log_input(reference, name="lr-train", role="train")
        version = mlm.log_model(model, name="lr", input_example=numeric[:5])
    batches = [frame(batch_rows, 3 + i, False) for i in range(10)]  # distinct data: no free compression
    predictions = np.zeros(batch_rows, dtype=np.int64)
    caller, durable, per_cpu = [], [], []
    for _ in range(repeat):
        # the flush thread stays idle while logging (a long interval): the caller's own cost; then flush()
        mon = mlm.monitor(version.uri, flush_interval=3600, flush_rows=rows + 1, max_buffer_rows=rows + 1)
        cpu = time.process_time()
        started = time.perf_counter()
        for i in range(rows // batch_rows):
            mon.log(batches[i % len(batches)], predictions)
        logged = time.perf_counter() - started
        mon.flush()
        total = time.perf_counter() - started
        spent = time.process_time() - cpu
        mon.close()
        caller.append(rows / logged)
        durable.append(rows / total)
        per_cpu.append(rows / spent)
    return {"caller_rows_per_s": statistics.median(caller), "durable_rows_per_s": statistics.median(durable),
            "durable_rows_per_cpu_s": statistics.median(per_cpu), "features": batches[0].shape[1],
            "batch_rows": batch_rows, "runs": repeat}


def bench_report(rows: int, repeat: int, workdir: Path, evidently_python: str | None,
                 evidently_repeat: int = 1) -> dict[str, object]:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    reference = frame(20_000, 4, False)
    current = frame(rows, 5, True)
    categorical = [f"c{i}" for i in range(CATEGORICAL)]
    model = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), categorical),
                                                  remainder="passthrough"), LogisticRegression(max_iter=300))
    model.fit(reference, (reference["x0"] > 0).astype(int))
    with mlm.start_run():
        mlm.log_input(reference, name="drift-train", role="train")
        version = mlm.log_model(model, name="drift", input_example=reference[:5])
    mon = mlm.monitor(version.uri, flush_interval=3600, max_buffer_rows=rows + 1)  # flushes every 200k rows
    predictions = np.zeros(rows, dtype=np.int64)
    step = 100_000
    for start in range(0, rows, step):
        mon.log(current.iloc[start:start + step], predictions[start:start + step])
    mon.flush()
    started = time.perf_counter()
    first = mon.report("1h")
    first_s = time.perf_counter() - started  # includes the model's predictions on the reference (then cached)
    seconds = median_time(lambda: mon.report("1h"), repeat)
    report = mon.report("1h")
    ours = {f.feature: f.drifted for f in report.features}
    result: dict[str, object] = {"report_s": seconds, "first_report_s": first_s, "rows": report.rows,
                                 "drifted": sorted(report.drifted_features), "verdict": report.verdict}
    assert first.rows == rows
    if evidently_python and Path(evidently_python).exists():
        reference.to_parquet(workdir / "reference.parquet")
        current.to_parquet(workdir / "current.parquet")
        script = textwrap.dedent(f"""
            import json, time, statistics, pandas as pd
            from evidently import Report
            from evidently.presets import DataDriftPreset
            ref = pd.read_parquet({str(workdir / 'reference.parquet')!r})
            cur = pd.read_parquet({str(workdir / 'current.parquet')!r})
            times = []
            for _ in range({evidently_repeat}):
                t = time.perf_counter()
                snapshot = Report([DataDriftPreset()]).run(cur, ref)
                data = snapshot.dict()
                times.append(time.perf_counter() - t)
            verdicts = {{}}
            for metric in data["metrics"]:
                config = metric.get("config", {{}})
                column = config.get("column")
                value = metric.get("value")
                threshold = config.get("threshold")
                method = config.get("method")
                if column is not None and isinstance(value, (int, float)) and threshold is not None:
                    p_value_test = method in ("K-S p_value", "chi-square p_value", "Z-test p_value")
                    verdicts[column] = bool(value < threshold) if p_value_test else bool(value >= threshold)
            print(json.dumps({{"seconds": statistics.median(times), "verdicts": verdicts}}))
        """)
        done = subprocess.run([evidently_python, "-c", script], capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            result["evidently_error"] = done.stderr[-2000:]
        else:
            theirs = json.loads(done.stdout.strip().splitlines()[-1])
            verdicts = theirs["verdicts"]
            common = sorted(set(ours) & set(verdicts))
            agree = [c for c in common if ours[c] == verdicts[c]]
            result.update({"evidently_s": theirs["seconds"], "speedup": theirs["seconds"] / seconds,
                           "features_compared": len(common), "verdicts_agree": len(agree),
                           "disagree": {c: {"ours": ours[c], "evidently": verdicts[c]} for c in common
                                        if c not in agree},
                           "evidently_drifted": sorted(c for c, v in verdicts.items() if v)})
    mon.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--evidently-python", default="/work/venvs/observe-evidently/bin/python",
                        help="python of an environment with evidently (pandas < 3); '' to skip Evidently")
    parser.add_argument("--evidently-repeat", type=int, default=1, help="Evidently runs (each takes minutes)")
    parser.add_argument("--only", choices=["overhead", "logging", "report"], action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        os.environ["MLM_NO_SERVER"] = "1"
        client = mlm.MlmClient(Path(temp) / "store")
        mlm.set_client(client)
        parts = set(args.only or ["overhead", "logging", "report"])
        results: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                      "load_before": open("/proc/loadavg").read().split()[:3]}
        if "overhead" in parts:
            results["overhead"] = bench_overhead(args.batches)
            print(json.dumps({"overhead": results["overhead"]}), flush=True)
        if "logging" in parts:
            results["logging"] = bench_logging(args.rows, args.repeat)
            print(json.dumps({"logging": results["logging"]}), flush=True)
        if "report" in parts:
            results["report"] = bench_report(args.rows, args.repeat, Path(temp), args.evidently_python or None,
                                             args.evidently_repeat)
        results["load_after"] = open("/proc/loadavg").read().split()[:3]
        print(json.dumps(results, indent=2, default=str))
        client.close()


if __name__ == "__main__":
    sys.exit(main())
