"""Benchmark: ``mlm serve`` (monitoring on) against ``mlflow models serve`` on the same scikit-learn model.

Run: ``python benchmarks/bench_serve.py [--duration 10] [--repeats 3] [--connections 16]``
(needs Debian's ``wrk`` and ``pip install "mlm-jupyter[bench]"``).

Throughput: the same fitted pipeline (StandardScaler + LogisticRegression on 20 numeric
columns) is logged to an mlm store (served as ``models:/bench@production``, every prediction
logged through ``mlm.monitor``) and saved with ``mlflow.sklearn`` (served with
``mlflow models serve --env-manager local``). ``wrk`` (one thread, ``--connections``
keep-alive connections) posts the same ``dataframe_split`` body of 1 or 100 rows for
``--duration`` seconds after a warm-up, at 1 and 2 workers; mlm and MLflow runs alternate
so both see the same machine load. Prints req/s, p50 and p99 per run and the medians.

Alias switch: ``mlm serve`` with 2 workers under load from a separate client process
(asyncio + httpx, 32 connections); ``production`` moves v1 -> v2 mid-run. Reports failed
requests and the time from the move until the first and until the last worker answers with v2
(the last v1 answer: after it, every request is served by v2).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS = [f"f{i}" for i in range(20)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def fit_models() -> tuple[Any, Any, Any]:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(5000, len(COLUMNS))), columns=COLUMNS)
    y = (X.f0 + X.f1 - X.f2 > 0).astype(int)
    first = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    second = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500)).fit(X, y)
    return first, second, X


def prepare(folder: Path) -> tuple[Path, Path, Any]:
    """An mlm store (bench v1 @production, v2) and an MLflow model folder of v1."""
    first, second, X = fit_models()
    from mlm_jupyter.tracking.client import MlmClient

    store = folder / "store"
    client = MlmClient(store)
    run_id = client.create_run(experiment="bench-serve").id
    client.log_model(run_id, first, "bench", input_example=X[:5])
    client.log_model(run_id, second, "bench", input_example=X[:5])
    client.set_alias("bench", "production", 1)
    client.end_run(run_id)
    client.close()

    import mlflow.sklearn
    from mlflow.models import infer_signature

    mlflow_dir = folder / "mlflow-model"
    mlflow.sklearn.save_model(first, str(mlflow_dir), signature=infer_signature(X[:5], first.predict(X[:5])))
    return store, mlflow_dir, X


def body(X: Any, rows: int) -> str:
    return json.dumps({"dataframe_split": {"columns": COLUMNS, "data": X.iloc[:rows].values.tolist()}})


def start_server(kind: str, store: Path, mlflow_dir: Path, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    if kind == "mlm":
        command = [sys.executable, "-m", "mlm_jupyter.cli.main", "--store", str(store), "serve",
                   "models:/bench@production", "--port", str(port), "--workers", str(workers)]
    else:
        mlflow = shutil.which("mlflow") or str(Path(sys.executable).with_name("mlflow"))
        command = [mlflow, "models", "serve", "-m", str(mlflow_dir), "--env-manager", "local", "--host",
                   "127.0.0.1", "-p", str(port), "-w", str(workers)]
    handle = open(log, "wb")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/ping", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{kind} server did not start")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its workers (MLflow runs them under a launcher)
    except ProcessLookupError:
        return
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def run_wrk(url: str, payload: Path, duration: float, connections: int) -> dict[str, float]:
    script = payload.with_suffix(".lua")
    script.write_text(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                      f'local f = io.open("{payload}", "r")\nwrk.body = f:read("*a")\nf:close()\n')
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "-s", str(script),
               url + "/invocations"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)\b", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": rps, "p50": percentile("50"), "p99": percentile("99"),
            "non2xx": float(errors.group(1)) if errors else 0.0, "socket_errors": socket_errors.group(1) if socket_errors else "",
            "load": float(loadavg())}


def throughput(folder: Path, store: Path, mlflow_dir: Path, X: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for rows in (1, 100):
        payload = folder / f"body-{rows}.json"
        payload.write_text(body(X, rows))
        for workers in (1, 2):
            for repeat in range(args.repeats):
                for kind in ("mlm", "mlflow"):
                    process, url = start_server(kind, store, mlflow_dir, workers, folder / f"{kind}-{workers}.log")
                    try:
                        run_wrk(url, payload, min(2.0, args.duration), args.connections)  # warm-up
                        figures = run_wrk(url, payload, args.duration, args.connections)
                    finally:
                        stop_server(process)
                    row = {"server": kind, "batch": rows, "workers": workers, "repeat": repeat, **figures}
                    print(json.dumps(row), flush=True)
                    results.append(row)
    return results


SWITCH_CLIENT = r'''
import asyncio, json, sys, time
import httpx
url, seconds, out, body = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
async def main():
    records = []
    stop = time.time() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        async def worker():
            while time.time() < stop:
                sent = time.time()
                try:
                    r = await client.post("/invocations", content=body, headers={"Content-Type": "application/json"})
                    records.append((sent, time.time(), r.status_code, r.headers.get("X-Model-Version")))
                except httpx.HTTPError as e:
                    records.append((sent, time.time(), -1, type(e).__name__))
        await asyncio.gather(*(worker() for _ in range(32)))
    json.dump(records, open(out, "w"))
asyncio.run(main())
'''


def alias_switch(folder: Path, store: Path, mlflow_dir: Path, X: Any, seconds: float = 12.0) -> dict[str, Any]:
    from mlm_jupyter.tracking.client import MlmClient

    process, url = start_server("mlm", store, mlflow_dir, 2, folder / "switch.log")
    out = folder / "switch.json"
    try:
        client = subprocess.Popen([sys.executable, "-c", SWITCH_CLIENT, url, str(seconds), str(out), body(X, 1)])
        time.sleep(seconds / 3)
        load = loadavg()
        before = time.time()
        mlm = MlmClient(store)
        mlm.set_alias("bench", "production", 2, reason="benchmark switch")
        mlm.close()
        moved = time.time()
        client.wait(seconds * 4)
    finally:
        stop_server(process)
        MlmClient(store).set_alias("bench", "production", 1)
    records = json.loads(out.read_text())
    failed = [r for r in records if r[2] != 200]
    first_new = min(r[1] for r in records if r[3] == "2")
    last_old = max(r[1] for r in records if r[3] == "1")
    return {"requests": len(records), "failed": len(failed), "set_alias_s": round(moved - before, 3),
            "first_v2_after_move_s": round(first_new - moved, 3), "last_v1_after_move_s": round(last_old - moved, 3),
            "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", choices=["throughput", "switch"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        folder = Path(tmp)
        store, mlflow_dir, X = prepare(folder)
        if args.only != "switch":
            results = throughput(folder, store, mlflow_dir, X, args)
            print("\nmedians (req/s, p50 ms, p99 ms):")
            for rows in (1, 100):
                for workers in (1, 2):
                    line = []
                    for kind in ("mlm", "mlflow"):
                        runs = [r for r in results if (r["server"], r["batch"], r["workers"]) == (kind, rows, workers)]
                        line.append(f"{kind} {statistics.median(r['rps'] for r in runs):.0f} req/s "
                                    f"p50 {statistics.median(r['p50'] for r in runs):.2f} "
                                    f"p99 {statistics.median(r['p99'] for r in runs):.2f}")
                    print(f"batch {rows:>3}, {workers} worker(s): " + " | ".join(line))
        if args.only != "throughput":
            for repeat in range(args.repeats):
                print("alias switch:", json.dumps(alias_switch(folder, store, mlflow_dir, X)), flush=True)


if __name__ == "__main__":
    main()
