"""Benchmark: registering, promoting and loading scikit-learn models, mlm-jupyter vs MLflow's model registry.

Run: ``python benchmarks/bench_registry.py [--versions 10] [--runs 3]``. For each side: log and
register ``--versions`` versions of a 50-tree random forest (one run each), point an alias at the
last one, and load it back by alias. Prints medians of ``--runs`` repeats and MLflow / mlm ratios.
Peer: MLflow with a local ``sqlite:///`` tracking and registry store and ``mlflow.sklearn``
(skops, the default in MLflow 3.17); mlm-jupyter: embedded DuckDB store and skops (safe format, sha256 verified on load).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np


def _model() -> tuple[Any, np.ndarray]:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    x = rng.random((2000, 10))
    y = (x[:, 0] + x[:, 1] > 1).astype(int)
    return RandomForestClassifier(n_estimators=50, max_depth=8, random_state=0).fit(x, y), x


def mlm_side(model: Any, x: np.ndarray, versions: int, folder: str) -> dict[str, float]:
    import mlm_jupyter as mlm

    client = mlm.MlmClient(os.path.join(folder, "mlm"))
    mlm.set_client(client)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(versions):
        with mlm.start_run(experiment="bench"):
            mlm.log_metric("auc", 0.9 + i / 1000)
            last = mlm.log_model(model, name="forest", input_example=x[:5])
    timings["log + register per version"] = (time.perf_counter() - start) / versions
    start = time.perf_counter()
    mlm.set_alias("forest", "production", version=last.version, reason="bench")
    timings["set alias"] = time.perf_counter() - start
    start = time.perf_counter()
    mlm.load_model("models:/forest@production")
    timings["load by alias"] = time.perf_counter() - start
    mlm.set_client(None)
    client.close()
    return timings


def mlflow_side(model: Any, x: np.ndarray, versions: int, folder: str) -> dict[str, float]:
    import mlflow
    import mlflow.sklearn

    uri = f"sqlite:///{os.path.join(folder, 'mlflow.db')}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    # keep MLflow's artifacts in the temporary folder (by default they land in ./mlruns)
    mlflow.create_experiment("bench", artifact_location=Path(folder, "artifacts").as_uri())
    mlflow.set_experiment("bench")
    client = mlflow.MlflowClient()
    timings: dict[str, float] = {}
    start = time.perf_counter()
    for i in range(versions):
        with mlflow.start_run():
            mlflow.log_metric("auc", 0.9 + i / 1000)
            info = mlflow.sklearn.log_model(model, name="model", input_example=x[:5],
                                            registered_model_name="forest",
                                            skops_trusted_types=["sklearn.tree._tree.Tree"])
    timings["log + register per version"] = (time.perf_counter() - start) / versions
    start = time.perf_counter()
    client.set_registered_model_alias("forest", "production", str(info.registered_model_version))
    timings["set alias"] = time.perf_counter() - start
    start = time.perf_counter()
    mlflow.sklearn.load_model("models:/forest@production")
    timings["load by alias"] = time.perf_counter() - start
    return timings


def median_of(side: Callable[..., dict[str, float]], runs: int, *args: Any) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            for key, value in side(*args, folder).items():
                samples.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    model, x = _model()
    ours = median_of(mlm_side, options.runs, model, x, options.versions)
    peer = median_of(mlflow_side, options.runs, model, x, options.versions)
    print(f"\n## Model registry ({options.versions} versions of a 50-tree forest, medians of {options.runs} runs)")
    print(f"{'operation':<30}{'mlm-jupyter':>14}{'MLflow':>12}{'ratio':>9}")
    for key in ours:
        print(f"{key:<30}{ours[key] * 1000:>11.1f} ms{peer[key] * 1000:>9.1f} ms{peer[key] / ours[key]:>8.1f}x")


if __name__ == "__main__":
    main()
