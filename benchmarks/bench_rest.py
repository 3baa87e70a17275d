"""REST benchmarks: a real Jupyter server with the extension on loopback, 20 concurrent clients.

1. p50/p99 latency of run search (filter + order + page of 100) over 10,000 runs x 10 params x 3 metrics.
2. p50/p99 latency of a 1M-point metric history downsampled to 1,000 points.
3. Metric logging throughput (``log_metric`` loop until durable) in a kernel started through the
   server's API and in a script, both going through the server (RestStore), vs the same loop on an
   embedded DuckDB store.

Usage: ``python benchmarks/bench_rest.py [--runs 10000] [--clients 20] [--requests 25] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import requests

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "integration"))
from server_process import JupyterServerProcess  # noqa: E402

SEARCH = {"filter": "metrics.val_auc > 0.9 and params.max_depth = '8'", "order_by": "metrics.val_auc desc",
          "limit": "100"}


def populate(store: Path, runs: int, points: int) -> str:
    """Bulk-load runs, params and latest metrics, plus one run with a ``points``-long series."""
    from mlm_jupyter.store.contract import Op, WriteBatch
    from mlm_jupyter.store.duckdb_store import DuckDbStore

    rng = np.random.default_rng(0)
    ids = [uuid.uuid4().hex for _ in range(runs)]
    with DuckDbStore(store) as db:
        experiment = db.write(WriteBatch.of(Op("create_experiment", {"name": "bench"})))[0]
        now = time.time()
        with db._session() as session:
            session.insert_table("runs", pa.table({
                "id": ids, "experiment_id": [experiment] * runs, "name": [f"run-{i}" for i in range(runs)],
                "status": ["finished"] * runs, "start_time": now - np.arange(runs, dtype=np.float64),
                "owner": ["process"] * runs}))
            keys = [f"p{k}" for k in range(9)] + ["max_depth"]
            values = [str(v) for v in rng.integers(1, 16, runs * len(keys))]
            session.insert_table("params", pa.table({
                "run_id": np.repeat(ids, len(keys)), "key": keys * runs, "value": values,
                "value_num": np.array(values, dtype=np.float64)}))
            metric_keys = ["val_auc", "loss", "acc"]
            session.insert_table("latest_metrics", pa.table({
                "run_id": np.repeat(ids, 3), "key": metric_keys * runs, "step": np.zeros(runs * 3, np.int64),
                "value": rng.random(runs * 3), "time": np.full(runs * 3, now)}))
        series_run = ids[0]
        db.write(WriteBatch.of(Op("log_metrics", {"points": pa.table({
            "run_id": [series_run] * points, "key": ["loss"] * points,
            "step": np.arange(points, dtype=np.int64), "value": np.sin(np.arange(points) / 1000.0),
            "time": np.full(points, now)})})))
    return series_run


def latencies(server: JupyterServerProcess, path: str, params: dict[str, str], clients: int,
              per_client: int) -> list[float]:
    results: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        session = requests.Session()
        session.headers.update(server.headers)
        mine = []
        for _ in range(per_client):
            start = time.perf_counter()
            response = session.get(server.url + path, params=params, timeout=120)
            response.raise_for_status()
            response.json()
            mine.append(time.perf_counter() - start)
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


LOGGER = """
import sys, time
import mlm_jupyter as mlm
n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else N
client = mlm.get_client()
with mlm.start_run(experiment="throughput") as run:
    start = time.perf_counter()
    for step in range(n):
        client.log_metric(run.id, "loss", 1.0 / (step + 1), step=step)
    client.flush()
    elapsed = time.perf_counter() - start
assert len(client.get_metric_history(run.id, "loss")) == n
print(client.store.describe()["backend"], elapsed)
"""


def logging_rate(store: Path, calls: int, through_server: bool) -> tuple[str, float]:
    env = {**os.environ, "MLM_STORE": str(store)}
    if not through_server:
        env["MLM_NO_SERVER"] = "1"
    out = subprocess.run([sys.executable, "-c", LOGGER, str(calls)], env=env, check=True, capture_output=True,
                         text=True, timeout=600).stdout.split()
    return out[0], calls / float(out[1])


def kernel_logging_rate(server: JupyterServerProcess, calls: int) -> tuple[str, float]:
    """The same loop in a real kernel started through the server's API."""
    from jupyter_client import BlockingKernelClient

    kernel_id = server.post("api/kernels", {"name": "python3"}).json()["id"]
    client = BlockingKernelClient(connection_file=str(server.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels(hb=False)
    try:
        client.wait_for_ready(timeout=120)
        lines: list[str] = []

        def collect(message: dict) -> None:
            if message["msg_type"] == "stream":
                lines.extend(message["content"]["text"].split())
            elif message["msg_type"] == "error":
                raise RuntimeError("\n".join(message["content"]["traceback"]))

        client.execute_interactive(f"N = {calls}\n" + LOGGER, timeout=600, output_hook=collect)
    finally:
        client.stop_channels()
        requests.delete(server.url + f"api/kernels/{kernel_id}", headers=server.headers, timeout=60)
    return lines[-2], calls / float(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25, help="requests per client per repeat")
    parser.add_argument("--calls", type=int, default=200_000, help="log_metric calls for the throughput test")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        store = workdir / "store"
        started = time.perf_counter()
        series_run = populate(store, args.runs, args.points)
        print(f"populated {args.runs} runs + a {args.points}-point series in {time.perf_counter() - started:.1f} s")
        server = JupyterServerProcess(workdir, store, sweep_interval=5.0).start()
        try:
            total = requests.get(server.url + "mlm/api/runs", params=SEARCH, headers=server.headers,
                                 timeout=60).json()["total"]
            print(f"search matches {total} of {args.runs} runs; page of 100")
            for label, path, params in (
                    ("run search", "mlm/api/runs", SEARCH),
                    ("1M-point history -> 1,000 points", f"mlm/api/runs/{series_run}/metrics/loss",
                     {"max_points": "1000"})):
                latencies(server, path, params, 2, 2)  # warm up
                alone = latencies(server, path, params, 1, 20)
                print(f"{label}: 1 client, p50 {percentile(alone, 50):.1f} ms, p99 {percentile(alone, 99):.1f} ms")
                p50s, p99s, rates = [], [], []
                for _ in range(args.repeats):
                    begin = time.perf_counter()
                    values = latencies(server, path, params, args.clients, args.requests)
                    rates.append(len(values) / (time.perf_counter() - begin))
                    p50s.append(percentile(values, 50))
                    p99s.append(percentile(values, 99))
                print(f"{label}: {args.clients} clients, p50 {statistics.median(p50s):.1f} ms, "
                      f"p99 {statistics.median(p99s):.1f} ms, {statistics.median(rates):.0f} requests/s "
                      f"(medians of {args.repeats} x {args.clients * args.requests} requests)")
            remote = [kernel_logging_rate(server, args.calls) for _ in range(args.repeats)]
            script = [logging_rate(store, args.calls, True) for _ in range(args.repeats)]
        finally:
            server.stop()
        assert all(backend == "rest" for backend, _ in remote + script), (remote, script)
        embedded = [logging_rate(workdir / f"embedded-{i}", args.calls, False) for i in range(args.repeats)]
        assert all(backend == "duckdb" for backend, _ in embedded), embedded
        rest_rate = statistics.median(rate for _, rate in remote)
        local_rate = statistics.median(rate for _, rate in embedded)
        script_rate = statistics.median(rate for _, rate in script)
        print(f"log_metric x {args.calls} until durable: kernel through the server {rest_rate:,.0f} calls/s, "
              f"script through the server {script_rate:,.0f} calls/s, embedded {local_rate:,.0f} calls/s, "
              f"kernel/embedded {rest_rate / local_rate:.2f}")


if __name__ == "__main__":
    main()
