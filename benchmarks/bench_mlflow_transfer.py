"""MLflow import and export throughput: runs per second through ``mlm import`` / ``mlm export --format mlflow``.

    python benchmarks/bench_mlflow_transfer.py [RUNS]

Builds an MLflow SQLite store (in /dev/shm when present) with RUNS runs of 5 params, 2 tags and
3 metrics x 10 steps through MLflow's own client, imports it into a fresh mlm store, then exports that
store to a second MLflow SQLite store. Prints seconds and runs/s for each step.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    base = Path(tempfile.mkdtemp(prefix="bench-mlflow-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    os.chdir(base)
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    source_uri = f"sqlite:///{base}/source.db"
    source = MlflowClient(source_uri)
    experiment = source.create_experiment("bench")
    started = time.perf_counter()
    now = int(time.time() * 1000)
    for i in range(runs):
        run = source.create_run(experiment, run_name=f"run-{i}")
        source.log_batch(run.info.run_id,
                         params=[Param(f"p{j}", str(i * j)) for j in range(5)],
                         tags=[RunTag("team", "a"), RunTag("i", str(i))],
                         metrics=[Metric(f"m{k}", float(i + s), now + s, s) for k in range(3) for s in range(10)])
        source.set_terminated(run.info.run_id)
    made = time.perf_counter() - started

    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.tracking.mlflow_export import export_to_mlflow
    from mlm_jupyter.tracking.mlflow_import import import_from_mlflow

    client = MlmClient(base / "mlm")
    started = time.perf_counter()
    report = import_from_mlflow(client, source_uri)
    imported = time.perf_counter() - started
    assert report.runs == runs and report.metric_points == runs * 30
    started = time.perf_counter()
    exported_report = export_to_mlflow(client, f"sqlite:///{base}/target.db")
    exported = time.perf_counter() - started
    assert exported_report.runs == runs
    client.close()
    print(f"runs={runs} load={open('/proc/loadavg').read().split()[:3]}")
    print(f"MLflow writing the source store: {made:.1f} s ({runs / made:,.0f} runs/s)")
    print(f"mlm import --from sqlite:   {imported:.1f} s ({runs / imported:,.0f} runs/s)")
    print(f"mlm export --format mlflow: {exported:.1f} s ({runs / exported:,.0f} runs/s)")


if __name__ == "__main__":
    main()
