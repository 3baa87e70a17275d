"""JupyterLab sidebar benchmarks in a real browser (headless Chromium, JupyterLab on loopback).

1. 10,000 runs: time from clicking the sidebar icon to the first page of runs on
   screen; time from pressing Enter in the search box to the filtered list.
2. 5 runs x 1,000,000 metric points: time from clicking Compare to the first
   chart drawn (server-side downsampling to 2,000 points per run), against
   fetching one full 1M-point series without downsampling.

Figures are browser-visible wall time (Playwright: click -> DOM updated; "in
page": the page's own click timestamp -> chart drawn, without Playwright's
round trips). The REST part alone is timed too, to show where the time goes.

Usage: ``python benchmarks/bench_sidebar.py [--runs 10000] [--points 1000000] [--repeats 5]``.
Needs the package installed with its built labextension (``pip install -e .``) and Debian's chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

import numpy as np

PAGE = 50  # rows the sidebar asks for (SidebarModel's page size)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TAB = ".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='mlm-sidebar']"
FILTERS = ["params.p1 = 'v3' and metrics.m0 > 0.5", "attributes.status = 'failed'",
           "metrics.m1 < 0.1 or params.p2 = 'v0'", "params.p0 IN ('v1', 'v2') and metrics.m2 >= 0.9"]


def seed(store: Path, runs: int, points: int, compared: int) -> list[str]:
    """``runs`` small runs (5 params, 3 metrics) in experiment ``bench``; ``compared`` runs of ``points`` points."""
    import pyarrow as pa

    from mlm_jupyter.store.contract import Op, WriteBatch
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    rng = np.random.default_rng(7)
    statuses = ["finished", "finished", "finished", "failed", "killed"]
    now = time.time()
    for chunk in range(0, runs, 1000):
        ops, run_col, key_col, value_col = [], [], [], []
        for i in range(chunk, min(chunk + 1000, runs)):
            run_id = uuid.uuid4().hex
            ops.append(Op("create_run", {"run_id": run_id, "experiment": "bench", "name": f"run-{i:05d}",
                                         "start_time": now - i}))
            ops.append(Op("log_params", {"run_id": run_id, "params": {f"p{k}": f"v{(i * 7 + k) % 5}" for k in range(5)}}))
            ops.append(Op("end_run", {"run_id": run_id, "status": statuses[i % 5], "end_time": now - i + 1}))
            for k in range(3):
                run_col.append(run_id)
                key_col.append(f"m{k}")
                value_col.append(float(rng.random()))
        n = len(value_col)
        ops.append(Op("log_metrics", {"points": pa.table({"run_id": run_col, "key": key_col, "step": [0] * n,
                                                          "value": value_col, "time": [now] * n})}))
        client.store.write(WriteBatch(tuple(ops)))
    big = []
    steps = np.arange(points)
    for r in range(compared):
        run = client.create_run("big", f"big-{r}")
        client.log_params(run.id, {"lr": 10.0 ** -(r + 1), "depth": 4 + r})
        noise = rng.normal(0, 0.02, points)
        client.log_metric_batch(run.id, "loss", np.exp(-steps / (50_000 * (r + 1))) + noise + 0.05)
        client.end_run(run.id)
        big.append(run.id)
    client.close()
    return big


def reuse(store: Path) -> list[str]:
    """The big runs of a store seeded by an earlier run of this script."""
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    try:
        return list(client.search_runs(experiment="big")["run_id"])
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_lab(base: Path, store: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    root = base / "root"
    root.mkdir()
    port, token = free_port(), secrets.token_hex(16)
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    env = dict(os.environ, MLM_STORE=str(store), JUPYTER_CONFIG_DIR=str(base / "config"),
               JUPYTERLAB_SETTINGS_DIR=str(base / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(base / "ws"),
               JUPYTER_RUNTIME_DIR=str(base / "runtime"))
    log = (base / "lab.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                                "--ServerApp.ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                                f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                                "--LabApp.news_url=", "--ServerApp.log_level=WARN"],
                               cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            rest(url, token, "api/status")
            return process, url, token
        except OSError:
            time.sleep(0.25)
    process.kill()
    raise RuntimeError((base / "lab.log").read_text())


def rest(url: str, token: str, path: str) -> Any:
    request = urllib.request.Request(url + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def med(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms (min {min(values) * 1000:.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--compared", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--store", help="keep the seeded store here and reuse it on the next run")
    args = parser.parse_args()
    chromium = os.environ.get("MLM_CHROMIUM") or shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        store = Path(args.store) if args.store else base / "store"
        if (store / "mlm.duckdb").exists():
            big = reuse(store)
            print(f"reusing {store}: {len(big)} big runs")
        else:
            start = time.perf_counter()
            big = seed(store, args.runs, args.points, args.compared)
            print(f"seeded {args.runs} runs + {args.compared} x {args.points:,} points in "
                  f"{time.perf_counter() - start:.1f} s")
        process, url, token = start_lab(base, store)
        try:
            run_benchmarks(args, url, token, big, chromium, sync_playwright)
        finally:
            process.terminate()
            process.wait(timeout=20)


def run_benchmarks(args: argparse.Namespace, url: str, token: str, big: list[str], chromium: str,
                   sync_playwright: Any) -> None:
    total = args.runs + args.compared
    # REST alone, warm
    rest(url, token, f"mlm/api/runs?limit={PAGE}")
    rest_list = [timed(lambda: rest(url, token, f"mlm/api/runs?limit={PAGE}")) for _ in range(args.repeats)]
    rest_filter = [timed(lambda f=f: rest(url, token, f"mlm/api/runs?limit={PAGE}&filter=" + urllib.parse.quote(f)))
                   for f in FILTERS for _ in range(max(1, args.repeats // 2))]
    rest_metric = [timed(lambda: rest(url, token, f"mlm/api/runs/{big[0]}/metrics/loss?max_points=2000"))
                   for _ in range(args.repeats)]
    rest_full = [timed(lambda: rest(url, token, f"mlm/api/runs/{big[0]}/metrics/loss")) for _ in range(2)]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
        page.set_default_timeout(120_000)
        first_list = []
        for _ in range(max(2, args.repeats // 2)):
            page.goto(f"{url}lab?reset&token={token}")
            page.wait_for_selector(TAB)
            first_list.append(timed(lambda: (
                page.click(TAB),
                page.wait_for_function(
                    "(total) => { const c = document.querySelector('#mlm-sidebar .mlm-count');"
                    " return c && c.textContent.endsWith(`of ${total} runs`)"
                    f" && document.querySelectorAll('#mlm-sidebar .mlm-run').length === {PAGE}; }}", arg=total))))
        search = page.locator("#mlm-sidebar input.mlm-search")

        def apply(text: str) -> None:
            search.fill(text)
            marker = page.evaluate("() => document.querySelector('#mlm-sidebar .mlm-count').textContent")
            page.evaluate("() => { window.__mlmMark = document.querySelector('#mlm-sidebar .mlm-runs-table tbody').firstChild; }")
            search.press("Enter")
            page.wait_for_function(
                "(before) => { const list = document.querySelector('#mlm-sidebar .mlm-runs-table tbody');"
                " return list.firstChild !== window.__mlmMark || document.querySelector('#mlm-sidebar .mlm-count').textContent !== before; }",
                arg=marker)

        filter_times = []
        for _ in range(args.repeats):
            for text in FILTERS:
                filter_times.append(timed(lambda t=text: apply(t)))
                search.fill("")  # back to the full list, so every filter starts from the same state
                search.press("Enter")
                page.wait_for_function(
                    "(total) => document.querySelector('#mlm-sidebar .mlm-count').textContent.endsWith(`of ${total} runs`)",
                    arg=total)
        # comparison of the big runs
        search.fill("attributes.experiment = 'big'")
        search.press("Enter")
        page.wait_for_function(
            f"() => document.querySelectorAll('#mlm-sidebar .mlm-run').length === {len(big)}")
        for run_id in big:
            page.locator(f"#mlm-sidebar .mlm-run[data-run-id='{run_id}'] input.mlm-run-select").check()
        first_trace, all_traces, in_page_first, in_page_all = [], [], [], []
        page.evaluate("() => document.addEventListener('click', () => { window.__mlmClickAt = Date.now(); }, true)")
        for i in range(max(2, args.repeats // 2)):
            view = f"#mlm-compare-{i + 1}"
            start = time.perf_counter()
            page.locator("#mlm-sidebar button.mlm-compare").click()
            page.wait_for_selector(f"{view} .mlm-chart canvas")
            first_trace.append(time.perf_counter() - start)
            page.wait_for_selector(f"{view} .mlm-chart[data-complete='true'][data-traces='{len(big)}'] canvas")
            all_traces.append(time.perf_counter() - start)
            clicked = float(page.evaluate("() => window.__mlmClickAt"))
            node = page.locator(f"{view} .mlm-ComparisonView")
            in_page_first.append((float(node.get_attribute("data-first-chart-at")) - clicked) / 1000)
            in_page_all.append((float(node.get_attribute("data-all-chart-at")) - clicked) / 1000)
        points = page.get_attribute("#mlm-compare-1 .mlm-chart", "data-points")
        browser.close()

    print(f"\nSidebar with {total:,} runs (page of {PAGE} rows)")
    print(f"  REST GET /runs?limit={PAGE} ............. {med(rest_list)}")
    print(f"  REST GET /runs?filter=... ............ {med(rest_filter)}")
    print(f"  click icon -> {PAGE} rows on screen ...... {med(first_list)}")
    print(f"  Enter in search -> filtered list ..... {med(filter_times)}")
    print(f"\nComparison of {len(big)} runs x {args.points:,} points")
    print(f"  REST one metric, max_points=2000 ..... {med(rest_metric)}")
    print(f"  REST one metric, all points .......... {med(rest_full)}")
    print(f"  click Compare -> first chart drawn ... {med(first_trace)}")
    print(f"  click Compare -> all {len(big)} traces ........ {med(all_traces)}  ({points} x-values drawn)")
    print(f"  in page: click -> first chart ........ {med(in_page_first)}")
    print(f"  in page: click -> all traces ......... {med(in_page_all)}")
    print(f"  downsampled vs full fetch of ONE run . {statistics.median(rest_full) / statistics.median(rest_metric):.0f}x faster")


if __name__ == "__main__":
    main()
