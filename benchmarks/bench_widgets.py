"""Notebook widget benchmarks in a real browser (JupyterLab on loopback, headless Chromium).

1. Runs table, 10,000 runs (5 params, 5 metrics): time from pressing Ctrl+Enter
   on ``mlm.runs(experiment="bench")`` to the first rows painted in the output.
2. Comparison, 5 runs x 1,000,000 ``loss`` points: time from Ctrl+Enter on
   ``mlm.compare(ids, metric="loss")`` to all five curves painted by the
   comparison's quick view (canvas), and to the interactive plotly FigureWidget
   (Scattergl traces, downsampled in Python to 2,000 points each) drawn.

Each is measured "cold" (first widget of its kind in a fresh kernel: imports,
plotly.js shipped to the browser) and "warm" (median of the next repeats).
The Python-side build time (no browser) is printed too, to show where time goes.

Usage: ``python benchmarks/bench_widgets.py [--runs 10000] [--points 1000000] [--repeats 5]``.
Needs Debian's chromium and Playwright's Python package.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.ui.conftest import (  # noqa: E402  (the UI tests' helpers: one way to start the lab)
    CHROMIUM_ARGS,
    add_cell,
    chromium_path,
    open_notebook,
    start_lab_server,
    stop_lab_server,
)

# Starts a timer, then watches cell ``index`` for ``count`` elements matching ``selector``; once they are
# in the DOM, the next animation frame (the paint) stops the timer.
WATCH = """([index, selector, count]) => {
    window.__mlmPaint = null;
    const start = performance.now();
    const cell = () => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[index];
    const observer = new MutationObserver(() => {
        const target = cell();
        if (target && target.querySelectorAll(selector).length >= count) {
            observer.disconnect();
            requestAnimationFrame(() => { window.__mlmPaint = performance.now() - start; });
        }
    });
    observer.observe(document.body, {childList: true, subtree: true});
}"""


def seed(store: Path, runs: int, points: int, compared: int) -> list[str]:
    """``runs`` small runs in experiment ``bench``; ``compared`` runs of ``points`` loss points in ``bench-compare``."""
    import pyarrow as pa

    from mlm_jupyter.store.contract import Op, WriteBatch
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    rng = np.random.default_rng(3)
    now = time.time()
    statuses = ["finished", "finished", "failed", "finished", "killed"]
    for chunk in range(0, runs, 1000):
        ops, run_col, key_col, value_col = [], [], [], []
        for i in range(chunk, min(chunk + 1000, runs)):
            run_id = uuid.uuid4().hex
            ops.append(Op("create_run", {"run_id": run_id, "experiment": "bench", "name": f"run-{i:05d}",
                                         "start_time": now - i}))
            ops.append(Op("log_params", {"run_id": run_id,
                                         "params": {f"p{k}": f"v{(i * (k + 1)) % 9}" for k in range(5)}}))
            ops.append(Op("end_run", {"run_id": run_id, "status": statuses[i % 5], "end_time": now - i + 30,
                                      "reason": None}))
            for k in range(5):
                run_col.append(run_id)
                key_col.append(f"m{k}")
                value_col.append(float(rng.random()))
        n = len(value_col)
        ops.append(Op("log_metrics", {"points": pa.table({"run_id": run_col, "key": key_col, "step": [0] * n,
                                                          "value": value_col, "time": [now] * n})}))
        client.store.write(WriteBatch(tuple(ops)))
    ids = []
    steps = np.arange(points)
    for j in range(compared):
        run = client.create_run("bench-compare", f"long-{j}")
        client.log_params(run.id, {"lr": 10.0 ** -(j + 1), "batch": 32 * (j + 1)})
        loss = 1.0 / (1.0 + steps / (2_000 * (j + 1))) + rng.normal(0, 0.01, points)
        client.log_metric_batch(run.id, "loss", loss)
        client.end_run(run.id)
        ids.append(run.id)
    client.close()
    return ids


def python_build_times(store: Path, ids: list[str]) -> dict[str, float]:
    """Building the widgets' models in this process (no browser): where the time goes."""
    from mlm_jupyter.tracking import fluent
    from mlm_jupyter.tracking.client import MlmClient
    from mlm_jupyter.widgets.comparison import Comparison
    from mlm_jupyter.widgets.runs_table import RunsTable

    client = MlmClient(store)
    fluent.set_client(client)
    out = {}
    try:
        t0 = time.perf_counter()
        table = RunsTable("bench", client=client, live=False)
        out["runs_table_build_s"] = time.perf_counter() - t0
        assert len(table.data["run_id"]) == 10_000 or len(table.data["run_id"]) == table.total
        import plotly.graph_objects as go

        go.FigureWidget()  # plotly's one-off import cost is reported separately
        t0 = time.perf_counter()
        comparison = Comparison(ids, client=client, metric="loss")
        out["comparison_build_s"] = time.perf_counter() - t0
        assert all(len(c["x"]) <= 2000 for c in comparison.curves())
    finally:
        fluent.set_client(None)
        client.close()
    return out


def paint_time(page, code: str, selector: str, count: int, timeout_s: float = 180.0) -> float:
    index = add_cell(page, code)
    page.evaluate(WATCH, [index, selector, count])
    page.keyboard.press("Control+Enter")
    page.wait_for_function("() => window.__mlmPaint !== null", timeout=timeout_s * 1000)
    return float(page.evaluate("() => window.__mlmPaint")) / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--compared", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-widgets-") as folder:
        base = Path(folder)
        t0 = time.perf_counter()
        ids = seed(base / "store", args.runs, args.points, args.compared)
        print(f"seeded {args.runs} runs + {args.compared} x {args.points:,} points in {time.perf_counter() - t0:.1f}s")
        build = python_build_times(base / "store", ids)
        server = start_lab_server(base)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 950})
                page.set_default_timeout(180_000)
                open_notebook(page, server, ["import mlm_jupyter as mlm"], "bench.ipynb")
                table_code = 'mlm.runs(experiment="bench", live=False)'
                compare_code = f'mlm.compare({ids!r}, metric="loss")'
                table_times = [paint_time(page, table_code, ".mlm-runs-table .mlm-row", 1)
                               for _ in range(args.repeats + 1)]
                compare_times, plotly_times = [], []
                for _ in range(args.repeats + 1):
                    compare_times.append(paint_time(page, compare_code,
                                                    f".mlm-curves-preview canvas[data-painted='{args.compared}']", 1))
                    # the same cell, on to the plotly figure (timer still running from Ctrl+Enter)
                    started = time.perf_counter() - compare_times[-1]
                    page.wait_for_function(
                        "n => { const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
                        ".jp-Cell'); return cells[cells.length - 1].querySelectorAll("
                        "'.mlm-comparison .legend .traces').length >= n; }", arg=args.compared)
                    plotly_times.append(time.perf_counter() - started)
                browser.close()
        finally:
            stop_lab_server(server)

    def line(label: str, times: list[float], python_s: float) -> None:
        warm = statistics.median(times[1:]) if len(times) > 1 else float("nan")
        print(f"{label:<44} cold {times[0]:6.2f}s   warm median {warm:6.2f}s   "
              f"(Python build {python_s:5.2f}s; target < 1 s: {'met' if warm < 1 else 'missed'} warm)")

    print(f"\nfirst paint after Ctrl+Enter, headless Chromium, {args.repeats} warm repeats")
    line(f"runs table, {args.runs:,} runs", table_times, build["runs_table_build_s"])
    line(f"comparison, {args.compared} runs x {args.points:,} points", compare_times, build["comparison_build_s"])
    line("  ... interactive plotly figure drawn", plotly_times, build["comparison_build_s"])
    print("all runs (s):", [round(t, 2) for t in table_times], [round(t, 2) for t in compare_times],
          [round(t, 2) for t in plotly_times])


if __name__ == "__main__":
    main()
