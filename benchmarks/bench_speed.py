"""Speed where users feel it (issue 16): start-up, many short runs, bulk import, search at scale.

Side by side with MLflow (local ``sqlite:///`` store) where MLflow has the operation, same machine,
same run, medians; the 1-minute load average is printed next to every figure.

1. ``script``: a whole process that imports the library, starts a run, logs one metric and exits.
2. ``cli``: ``mlm --help`` and ``mlm runs ls`` on a 1,000-run store (whole processes).
3. ``short-runs``: a loop of runs (start, 20 params, 5 metrics, end), until durable, ms per run.
4. ``import``: bulk import (``MlmClient.import_runs``) runs/s and store size per run.
5. ``search``: ``search_runs`` with a mixed filter, first page of 100, on stores of 100k (and 1M with
   ``--million``) runs x 20 params x 5 metrics seeded through ``import_runs``; also the total count.

Usage: ``python benchmarks/bench_speed.py [--only script,cli,short-runs,import,search] [--repeats 5]
[--million] [--keep DIR]``. The large stores live in a temporary folder (or ``--keep DIR``), never in git.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def median(values: list[float]) -> float:
    return statistics.median(values)


CPU: dict[str, list[float]] = {}  # CPU seconds (user + system) of each timed process, by label


def timed_process(code: str, env: dict[str, str], cwd: Path, label: str = "", args: list[str] | None = None
                  ) -> float:
    """Wall seconds of a whole process; its CPU seconds go to ``CPU[label]`` (less sensitive to load)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args or [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    CPU.setdefault(label, []).append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def cpu(label: str) -> float:
    return median(CPU[label])


MLM_SCRIPT = """
import mlm_jupyter as mlm
with mlm.start_run(experiment="startup"):
    mlm.log_metric("loss", 0.5)
"""
MLFLOW_SCRIPT = """
import mlflow
mlflow.set_tracking_uri({uri!r})
mlflow.set_experiment("startup")
with mlflow.start_run():
    mlflow.log_metric("loss", 0.5)
"""


def bench_script(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "MLM_STORE": str(root / "store"), "MLM_PROGRESS": "0"}
        uri = f"sqlite:///{root / 'mlflow.db'}"
        timed_process(MLM_SCRIPT, env, root)  # both stores exist before timing (schema created once)
        timed_process(MLFLOW_SCRIPT.format(uri=uri), env, root)
        ours, theirs = [], []
        for _ in range(repeats):
            ours.append(timed_process(MLM_SCRIPT, env, root, "mlm"))
            theirs.append(timed_process(MLFLOW_SCRIPT.format(uri=uri), env, root, "mlflow"))
        bare = median([timed_process("pass", env, root, "bare") for _ in range(repeats)])
        print(f"script (import, start run, log 1 metric, exit): wall mlm {median(ours):.3f} s, "
              f"MLflow {median(theirs):.3f} s, ratio 1/{median(theirs) / median(ours):.1f}; CPU mlm "
              f"{cpu('mlm'):.3f} s, MLflow {cpu('mlflow'):.3f} s, ratio 1/{cpu('mlflow') / cpu('mlm'):.1f} "
              f"(bare python {bare:.3f} s wall, {cpu('bare'):.3f} s CPU) [{load()}]")


def bench_cli(repeats: int) -> None:
    from mlm_jupyter.tracking.client import MlmClient

    mlm_exe = shutil.which("mlm", path=str(Path(sys.executable).parent)) or "mlm"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = root / "store"
        client = MlmClient(store)
        client.import_runs(seed_runs(0, 1_000, "cli"))
        client.close()
        env = {**os.environ, "MLM_STORE": str(store)}

        helps = [timed_process("", env, root, "help", [mlm_exe, "--help"]) for _ in range(repeats)]
        lists = [timed_process("", env, root, "ls", [mlm_exe, "runs", "ls"]) for _ in range(repeats)]
        print(f"mlm --help: {median(helps):.3f} s wall, {cpu('help'):.3f} s CPU; mlm runs ls (1,000-run store): "
              f"{median(lists):.3f} s wall, {cpu('ls'):.3f} s CPU [{load()}]")


def seed_runs(start: int, count: int, experiment: str, points: int = 0) -> Any:
    """Runs x 20 params x 5 metrics (and ``points`` steps of one series) for ``import_runs``."""
    now = 1_700_000_000.0
    for i in range(start, start + count):
        metrics: dict[str, Any] = {f"m{j}": ((i * 7 + j * 13) % 1000) / 1000 for j in range(5)}
        if points:
            metrics["loss"] = [(s, 1.0 / (s + 1), now + i + s / 1000) for s in range(points)]
        yield {"run_id": f"{experiment}-{i:08d}", "experiment": experiment, "name": f"run-{i}",
               "status": "finished", "start_time": now + i, "end_time": now + i + 60,
               "params": {f"p{j}": f"v{(i + j) % 10}" for j in range(20)},
               "tags": {"stage": ("baseline", "tuned", "final")[i % 3]}, "metrics": metrics}


def bench_short_runs(runs: int) -> None:
    import mlm_jupyter as mlm

    params = {f"p{j}": j for j in range(20)}
    metrics = {f"m{j}": j / 10 for j in range(5)}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cwd = os.getcwd()
        os.chdir(root)
        try:
            client = mlm.MlmClient(root / "store")
            mlm.set_client(client)
            for _ in range(5):  # warm-up: the store exists, the environment is listed once
                with mlm.start_run(experiment="sweep"):
                    mlm.log_params(params)
            client.flush()
            start = time.perf_counter()
            for _ in range(runs):
                with mlm.start_run(experiment="sweep"):
                    mlm.log_params(params)
                    mlm.log_metrics(metrics)
            client.flush()
            from mlm_jupyter.tracking.fluent import _wait_for_provenance

            _wait_for_provenance()
            ours = (time.perf_counter() - start) / runs
            assert client.count_runs(experiment="sweep") == runs + 5
            mlm.set_client(None)
            client.close()
            theirs = mlflow_short_runs(root, min(runs, 200), params, metrics)
        finally:
            os.chdir(cwd)
    print(f"short runs (start, 20 params, 5 metrics, end; {runs} in a loop, until durable): "
          f"mlm {ours * 1000:.2f} ms/run, MLflow {theirs * 1000:.1f} ms/run, ratio 1/{theirs / ours:.1f} "
          f"[{load()}]")


def mlflow_short_runs(root: Path, runs: int, params: dict[str, Any], metrics: dict[str, Any]) -> float:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow-short.db'}")
    mlflow.set_experiment("sweep")
    with mlflow.start_run():
        mlflow.log_params(params)
    start = time.perf_counter()
    for _ in range(runs):
        with mlflow.start_run():
            mlflow.log_params(params)
            mlflow.log_metrics(metrics)
    return (time.perf_counter() - start) / runs


def seed_store(store: Path, runs: int, experiment: str = "scale", chunk: int = 20_000,
               series_every: int = 0, points: int = 0) -> tuple[float, int]:
    """Seed through the public batch path; returns (seconds, bytes on disk)."""
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    start = time.perf_counter()
    done = 0
    while done < runs:
        count = min(chunk, runs - done)
        if series_every:
            batch = list(seed_runs(done, count, experiment))
            for k, record in enumerate(batch):
                if (done + k) % series_every == 0:
                    record["metrics"]["loss"] = [(s, 1.0 / (s + 1), 1.7e9 + s) for s in range(points)]
            client.import_runs(batch, batch_size=chunk)
        else:
            client.import_runs(seed_runs(done, count, experiment), batch_size=chunk)
        done += count
    elapsed = time.perf_counter() - start
    client.close()
    size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
    return elapsed, size


def bench_import(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        start_cpu = time.process_time()
        elapsed, size = seed_store(Path(folder) / "store", runs, chunk=5_000)
        used = time.process_time() - start_cpu
    print(f"bulk import (import_runs, {runs:,} runs x 20 params x 5 metrics): {runs / elapsed:,.0f} runs/s wall, "
          f"{runs / used:,.0f} runs per CPU second, {size / runs:,.0f} bytes/run on disk [{load()}]")


FILTER = "params.p3 = 'v3' and metrics.m0 > 0.5 and tags.stage != 'final'"


def bench_search(sizes: list[int], repeats: int, keep: Path | None, series: bool = False) -> None:
    from mlm_jupyter.tracking.client import MlmClient

    for size in sizes:
        folder = Path(tempfile.mkdtemp(dir=keep))
        try:
            store = folder / "store"
            elapsed, disk = seed_store(store, size, series_every=10 if series else 0, points=1000)
            print(f"  seeded {size:,} runs in {elapsed:.1f} s ({size / elapsed:,.0f} runs/s), "
                  f"{disk / size:,.0f} bytes/run [{load()}]")
            client = MlmClient(store)
            client.search_runs(FILTER, max_results=100)  # open the file, warm the cache
            page = median(_times(lambda: client.search_runs(FILTER, max_results=100), repeats))
            ordered = median(_times(lambda: client.search_runs(FILTER, max_results=100,
                                                               order_by=["metrics.m1 desc"]), repeats))
            count = median(_times(lambda: client.count_runs(FILTER), repeats))
            matches = client.count_runs(FILTER)
            print(f"search_runs at {size:,} runs, filter {FILTER!r} ({matches:,} matches): first page of 100 "
                  f"{page * 1000:.1f} ms, ordered by metrics.m1 desc {ordered * 1000:.1f} ms, count "
                  f"{count * 1000:.1f} ms [{load()}]")
            bench_pages(client, size, repeats)
            client.close()
        finally:
            if keep is None:
                shutil.rmtree(folder, ignore_errors=True)


def bench_pages(client: Any, size: int, repeats: int) -> None:
    """First pages as the sidebar (REST ``GET /mlm/api/runs``) and the runs table widget ask for them.

    Timed in Python on the code paths those requests run (``server.views.runs_page_view``: the REST
    handler's whole work before JSON encoding; the widget's page: ``runs_page`` + ``view_rows``), not
    in a browser: the JSON encoding and the paint of 50-100 rows come on top (a few ms here).
    """
    from mlm_jupyter.server.views import runs_page_view
    from mlm_jupyter.widgets.runs_table import view_rows

    def rest(order: list[str], filter: str | None = None) -> Any:
        return runs_page_view(client, experiment=None, filter=filter, order_by=order, offset=0, limit=100)

    def widget(order: str | None) -> Any:  # what RunsTable.page does: the store's page, then the view's rows
        page = client.runs_page(None, None, order_by=[order] if order else None, max_results=50, offset=0)
        return view_rows(page["runs"]), int(page["total"])

    rest([])  # warm
    figures = {
        "sidebar REST page (newest first)": median(_times(lambda: rest([]), repeats)),
        "sidebar REST page (sorted by metrics.m1 desc)": median(_times(lambda: rest(["metrics.m1 desc"]), repeats)),
        "sidebar REST page (mixed filter)": median(_times(lambda: rest([], FILTER), repeats)),
        "runs table widget page (newest first)": median(_times(lambda: widget(None), repeats)),
        "runs table widget page (sorted by params.p1)": median(_times(lambda: widget("params.p1"), repeats)),
    }
    total = rest([])["total"]
    print(f"  pages at {size:,} runs (total {total:,}): "
          + "; ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in figures.items()) + f" [{load()}]")


def reuse_search(store: Path, repeats: int) -> None:
    """Search and pages on a store built earlier (``--keep``)."""
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    size = client.count_runs()
    client.search_runs(FILTER, max_results=100)
    page = median(_times(lambda: client.search_runs(FILTER, max_results=100), repeats))
    ordered = median(_times(lambda: client.search_runs(FILTER, max_results=100, order_by=["metrics.m1 desc"]),
                            repeats))
    count = median(_times(lambda: client.count_runs(FILTER), repeats))
    print(f"search_runs at {size:,} runs ({client.count_runs(FILTER):,} matches): first page of 100 "
          f"{page * 1000:.1f} ms, ordered by metrics.m1 desc {ordered * 1000:.1f} ms, count {count * 1000:.1f} ms "
          f"[{load()}]")
    bench_pages(client, size, repeats)
    client.close()


def _times(fn: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="script,cli,short-runs,import,search")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--short-runs", type=int, default=1_000)
    parser.add_argument("--import-runs", type=int, default=20_000)
    parser.add_argument("--million", action="store_true", help="also search a 1M-run store (minutes to seed)")
    parser.add_argument("--series", action="store_true", help="1,000 points of 'loss' for a tenth of the runs")
    parser.add_argument("--sizes", default="", help="store sizes for search, e.g. 10000,100000")
    parser.add_argument("--keep", type=Path, default=None, help="build the large stores under DIR and keep them")
    parser.add_argument("--reuse", type=Path, default=None, help="only search a store built earlier with --keep")
    args = parser.parse_args()
    only = set(args.only.split(","))
    # An installed wheel has its bytecode compiled (MLflow's is); this checkout may not (PYTHONDONTWRITEBYTECODE),
    # and every timed process would then compile each module of ours it imports.
    import compileall

    import mlm_jupyter

    compileall.compile_dir(str(Path(mlm_jupyter.__file__).parent), quiet=1)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores [{load()}]")
    if args.reuse is not None:
        reuse_search(args.reuse, args.repeats)
        return
    if "script" in only:
        bench_script(args.repeats)
    if "cli" in only:
        bench_cli(args.repeats)
    if "short-runs" in only:
        bench_short_runs(args.short_runs)
    if "import" in only:
        bench_import(args.import_runs)
    if "search" in only:
        sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else \
            ([100_000, 1_000_000] if args.million else [100_000])
        bench_search(sizes, args.repeats, args.keep, args.series)


if __name__ == "__main__":
    main()
