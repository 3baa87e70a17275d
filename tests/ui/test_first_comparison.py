"""The first comparison in a fresh kernel: 5 runs x 1,000,000 points paint soon after the cell ends.

Its own JupyterLab, started on a store seeded beforehand (5M points are written straight to the DuckDB
file, which a running server would own), so the kernel reads the histories through the server as usual.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.ui.conftest import (
    add_cell, artifact_path, assert_no_cell_errors, execute_cell, open_notebook, start_lab_server, stop_lab_server,
)

pytestmark = pytest.mark.ui

RUNS, POINTS = 5, 1_000_000

# Set before the cell runs: the time the cell's prompt gets its execution count (the kernel's reply).
WATCH_CELL_END = """(index) => {
  window.__cellEnd = null;
  const cell = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[index];
  const prompt = cell.querySelector('.jp-InputArea-prompt');
  new MutationObserver((_, observer) => {
    if (/\\[\\d+\\]/.test(prompt.textContent)) { window.__cellEnd = Date.now(); observer.disconnect(); }
  }).observe(prompt, { childList: true, characterData: true, subtree: true });
}"""


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory):
    from mlm_jupyter.tracking.client import MlmClient

    base = tmp_path_factory.mktemp("lab-1m")
    client = MlmClient(base / "store")
    ids = []
    try:
        steps = np.arange(POINTS)
        for i in range(RUNS):
            run = client.create_run("million", f"m{i}")
            client.log_params(run.id, {"lr": 0.01 * (i + 1)})
            client.log_metric_batch(run.id, "loss", np.exp(-steps / (2e5 * (i + 1))) + 0.01 * np.sin(steps / 997))
            client.end_run(run.id)
            ids.append(run.id)
    finally:
        client.close()
    server = start_lab_server(base)
    try:
        yield server, ids
    finally:
        stop_lab_server(server)


def test_first_comparison_in_a_fresh_kernel_paints_within_a_second(page, big_lab):
    server, ids = big_lab
    cells = ["import time\nimport mlm_jupyter as mlm",
             "started = time.perf_counter()\nimport mlm_jupyter.widgets.comparison\n"
             "imported = time.perf_counter() - started\n"
             f"cmp = mlm.compare({ids!r})\nbuilt = time.perf_counter() - started\ncmp"]
    open_notebook(page, server, cells[:1], "first-compare.ipynb")  # a fresh kernel: only the import has run
    index = add_cell(page, cells[1])
    page.evaluate(WATCH_CELL_END, index)
    execute_cell(page, index)
    chart = page.locator(".mlm-widget .mlm-compare .mlm-chart[data-traces='5'][data-complete='true']")
    chart.wait_for(timeout=60_000)
    assert_no_cell_errors(page)
    node = page.locator(".mlm-widget .mlm-compare")
    first = int(node.get_attribute("data-first-chart-at")) - page.evaluate("window.__cellEnd")
    every = int(node.get_attribute("data-all-chart-at")) - page.evaluate("window.__cellEnd")
    shown = int(node.get_attribute("data-created-at")) - page.evaluate("window.__cellEnd")  # the view exists
    counts = page.locator(".mlm-widget .mlm-compare .mlm-point-count").inner_text()
    assert counts == "stored points: " + " / ".join(["1000000"] * RUNS)
    points = int(chart.get_attribute("data-points"))
    assert 2000 <= points <= RUNS * 2000  # downsampled by the store, spikes kept: not a million per run

    output = execute_cell(page, add_cell(
        page, "print(round(imported, 3), round(built, 3), round(max(cmp.call_seconds), 3), len(cmp.call_seconds), "
        "','.join(str(round(t * 1000)) for t in cmp.prefetch_times))"))
    imported, built, longest, calls, prefetched = output.inner_text().split()
    figures = {"view_created_ms": shown, "first_paint_ms": first, "all_traces_ms": every, "cell_seconds": float(built), "widget_import_seconds": float(imported),
               "longest_call_seconds": float(longest), "calls": int(calls), "drawn_points": points,
               # when the prefetch started and each history was in, relative to the cell's end (ms)
               "prefetch_ms": [int(t) - page.evaluate("window.__cellEnd") for t in prefetched.split(",")]}
    artifact_path("first-comparison.json").write_text(json.dumps(figures))
    # The target is a paint within 1 s of the cell's end (BENCHMARKS.md has the measured figures: 0.49 s at load 9,
    # 1.3 s on an idle CI-like run). Timing belongs in benchmarks, so this pass/fail test only guards against the
    # old failure mode (a view that waits for the kernel or for plotly.js: 2.5-26 s), with room for a busy machine.
    budget = 5000 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    figures["paint_budget_ms"] = round(budget)
    assert first < budget, figures
    # The view's calls never hold the kernel: the histories are read on a worker thread (prefetched while
    # the cell ran). The cell itself imports the widgets and reads the five runs (in BENCHMARKS.md).
    assert float(longest) < 0.5, figures
    assert RUNS - 1 <= int(calls) <= RUNS  # one call per history (the first may come pushed, with no call)
