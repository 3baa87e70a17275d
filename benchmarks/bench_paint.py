"""First paint of the runs views on a large store, in a real browser (issue 16: < 1 s at 1M runs).

JupyterLab on loopback, headless Chromium (Playwright), pointed at a store of
``bench_speed.py``'s shape (runs x 20 params x 5 metrics in experiment ``scale``):

a. sidebar: click on the mlm icon -> first page of rows painted, with the total count;
b. sidebar: click on a metric column's header -> the page re-sorted and painted;
c. sidebar: Enter in the search box (mixed filters the server has not counted yet:
   it caches a filter's count until the next write) -> the filtered page painted;
   then, on the filtered list, a sort and the next page (count cached);
d. notebook: Ctrl+Enter on ``mlm.runs()`` -> first page painted in the output area,
   then a click on a metric header (sorted page) and on "next page".

Each step is timed twice: browser-visible wall time (Playwright: action -> the
DOM condition seen, one animation frame later) and in page (the page's own
pointerdown/keydown timestamp -> the frame after the rows are in the DOM, without
Playwright's round trips). The REST request the sidebar makes is read from the
page's resource timings (duration, URL with its ``limit``, body size), so the
split between server and paint shows, and the body size proves the count comes
without every row crossing the wire. For the widget, the cell's Python time
(``mlm.runs()`` built, first page read over the server's REST API) is recorded
in the kernel.

Usage::

    python benchmarks/bench_paint.py --store /work/bigstore/tmpXXXX/store   # a store built by bench_speed --keep
    python benchmarks/bench_paint.py --runs 100000                           # seed one first (bench_speed.seed_store)

The server owns (opens read-write) the store it serves, so an existing store is
copied to a temporary folder first (``--in-place`` serves it directly; only do
that on a store you may write to).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_sidebar import TAB, rest  # noqa: E402  (the sidebar benchmark's icon selector and REST call)
from bench_speed import FILTER, load, seed_store  # noqa: E402  (the 1M store's shape and its seeding)
from tests.ui.conftest import (  # noqa: E402  (the UI tests' helpers: one way to start the lab)
    CHROMIUM_ARGS,
    add_cell,
    chromium_path,
    open_notebook,
    start_lab_server,
    stop_lab_server,
)

FILTERS = [FILTER, "params.p1 = 'v3' and metrics.m0 > 0.5", "metrics.m1 < 0.1 or params.p2 = 'v0'",
           "attributes.name LIKE 'run-99%'"]
SIDEBAR = "#mlm-sidebar"
TIMEOUT_MS = int(os.environ.get("MLM_PAINT_TIMEOUT_MS", "180000"))

# Arms a watcher: the first pointerdown/keydown after it starts the clock; once ``done(arg)`` holds
# (checked on every DOM mutation), the next animation frame -- the paint -- stops it.
ARM = """([arg, source]) => {
    const done = eval(source);
    const host = arg.host ? document.querySelector(arg.host) : window.__mlmHost && window.__mlmHost();
    host && host.querySelectorAll('tr.mlm-run').forEach(row => { row.__mlmOld = true; });  // only new rows count
    window.__mlmStart = null;
    window.__mlmPaint = null;
    performance.clearResourceTimings();
    const start = () => { if (window.__mlmStart === null) window.__mlmStart = performance.now(); };
    document.addEventListener('pointerdown', start, {capture: true, once: true});
    document.addEventListener('keydown', start, {capture: true, once: true});
    const observer = new MutationObserver(() => {
        if (window.__mlmStart !== null && done(arg)) {
            observer.disconnect();
            requestAnimationFrame(() => { window.__mlmPaint = performance.now() - window.__mlmStart; });
        }
    });
    observer.observe(document.body, {childList: true, subtree: true, attributes: true, characterData: true});
}"""

# ``host`` is a CSS selector of the view's root; rows and the count line are looked up under it.
PAGE_SHOWN = """(arg) => {
    const host = arg.host ? document.querySelector(arg.host) : window.__mlmHost();
    if (!host) return false;
    const count = host.querySelector('.mlm-count');
    const rows = host.querySelectorAll('tr.mlm-run');
    const sorted = !arg.column || (host.querySelector(`th[data-column='${arg.column}']`) || {}).ariaSort === arg.sort;
    // the sidebar: its answer to this request (a poll's answer to the previous one may land in between)
    const asked = !arg.request || performance.getEntriesByType('resource').some(
        e => decodeURIComponent(e.name.replace(/[+]/g, ' ')).includes(arg.request));
    const text = count ? count.textContent : '';
    const counted = arg.count !== undefined ? text === arg.count
        : arg.countNot !== undefined ? text !== arg.countNot && /(of \d+ runs|^0 runs)$/.test(text)
        : arg.countEnds !== undefined ? text.endsWith(arg.countEnds) : text.startsWith(arg.countStarts);
    const full = arg.rows === undefined ? rows.length > 0 || text === '0 runs' : rows.length === arg.rows;
    return counted && full && sorted && asked && [...rows].every(row => !row.__mlmOld);
}"""

STATE = """(arg) => {
    const host = arg.host ? document.querySelector(arg.host) : window.__mlmHost();
    if (!host) return 'no view';
    const th = arg.column ? host.querySelector(`th[data-column='${arg.column}']`) : null;
    return {count: (host.querySelector('.mlm-count') || {}).textContent, rows: host.querySelectorAll('tr.mlm-run').length,
            sort: th && th.ariaSort, first: (host.querySelector('tr.mlm-run') || {}).dataset?.runId,
            started: window.__mlmStart};
}"""

REST_ENTRIES = """() => performance.getEntriesByType('resource').filter(e => e.name.includes('/mlm/api/runs'))
    .map(e => ({url: e.name, ms: e.responseEnd - e.startTime, server: e.responseStart - e.requestStart,
                bytes: e.encodedBodySize}))"""


def count_text(total: int, offset: int, rows: int) -> str:
    return f"{offset + 1}-{offset + rows} of {total} runs" if total else "0 runs"


class Timings:
    """Wall and in-page seconds per step, plus what the sidebar's REST requests cost."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.in_page: dict[str, list[float]] = {}
        self.rest: dict[str, list[dict[str, Any]]] = {}

    def measure(self, page: Any, step: str, arg: dict[str, Any], action: Callable[[], Any]) -> None:
        page.evaluate(ARM, [arg, PAGE_SHOWN])
        start = time.perf_counter()
        action()
        try:
            page.wait_for_function("() => window.__mlmPaint !== null", timeout=TIMEOUT_MS)
        except Exception as error:
            state = page.evaluate(STATE, arg)
            raise RuntimeError(f"{step}: waited for {arg}, the page shows {state}") from error
        self.wall.setdefault(step, []).append(time.perf_counter() - start)
        self.in_page.setdefault(step, []).append(float(page.evaluate("() => window.__mlmPaint")) / 1000)
        self.rest.setdefault(step, []).extend(page.evaluate(REST_ENTRIES))

    def report(self) -> None:
        for step, walls in self.wall.items():
            inside = self.in_page[step]
            line = (f"  {step:<44} wall {_ms(walls)}  in page {_ms(inside)}  "
                    f"[{'met' if statistics.median(walls) < 1 else 'MISSED'} < 1 s]")
            entries = self.rest.get(step) or []
            if entries:
                last = entries[-1]
                limit = urllib.parse.parse_qs(urllib.parse.urlparse(last["url"]).query).get("limit", ["?"])[0]
                line += (f"\n  {'':<44} REST GET /runs (limit={limit}): {_ms([e['ms'] / 1000 for e in entries])}, "
                         f"server {statistics.median(e['server'] for e in entries):.0f} ms to first byte, "
                         f"{statistics.median(e['bytes'] for e in entries) / 1024:.0f} KiB, "
                         f"{len(entries) / len(walls):.1f} requests per step")
            print(line)


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:6.0f} ms (min {min(values) * 1000:.0f}, max " \
           f"{max(values) * 1000:.0f}, n={len(values)})"


def sidebar_steps(page: Any, url: str, token: str, total: int, repeats: int, timings: Timings) -> list[str]:
    """(a), (b), (c) in the JupyterLab sidebar; returns the count lines it showed."""
    rows = min(50, total)
    shown = []
    for repeat in range(repeats):
        page.goto(f"{url}lab?reset&token={token}")
        page.wait_for_selector(TAB)
        page.wait_for_timeout(500)  # let the lab settle: the click, not the lab's start, is timed
        timings.measure(page, "sidebar: icon click -> first page",
                        {"host": SIDEBAR, "count": count_text(total, 0, rows), "rows": rows},
                        lambda: page.click(TAB))
        shown.append(page.inner_text(f"{SIDEBAR} .mlm-count"))
        search = page.locator(f"{SIDEBAR} input.mlm-search")

        def find(text: str, step: str) -> None:
            before = page.inner_text(f"{SIDEBAR} .mlm-count")
            search.fill(text)
            timings.measure(page, step, {"host": SIDEBAR, "countNot": before, "request": f"filter={text}"},
                            lambda: search.press("Enter"))
            shown.append(f"{text!r}: {page.inner_text(f'{SIDEBAR} .mlm-count')}")

        # each repeat searches texts the server has not counted yet (it caches counts until a write)
        fresh = f" and metrics.m4 >= {repeat / 1000:.3f}"
        for text in FILTERS:
            find(text + fresh, "sidebar: search (Enter) -> filtered page")
        search.fill("")
        timings.measure(page, "sidebar: clear search -> whole list",
                        {"host": SIDEBAR, "count": count_text(total, 0, rows), "rows": rows},
                        lambda: search.press("Enter"))
        # sort by a dense metric (the sidebar shows one metric column: add m1 from the column chooser)
        page.click(f"{SIDEBAR} summary.mlm-columns-button")
        page.check(f"{SIDEBAR} .mlm-chooser input[data-column='metrics.m1']")
        page.click(f"{SIDEBAR} summary.mlm-columns-button")
        column = "metrics.m1"
        header = page.locator(f"{SIDEBAR} th[data-column='{column}']")
        for sort in ("descending", "ascending"):  # a metric sorts best first, then flips on each click
            timings.measure(page, f"sidebar: sort by {column} -> page",
                            {"host": SIDEBAR, "count": count_text(total, 0, rows), "rows": rows, "column": column,
                             "sort": sort, "request": f"order_by={column} {sort[:-6]}"}, header.click)
        find(FILTERS[0] + fresh + " and metrics.m3 >= 0", "sidebar: search, list sorted -> page")
        matches = page.inner_text(f"{SIDEBAR} .mlm-count").split(" of ")[-1]
        timings.measure(page, "sidebar: sort, list filtered -> page",
                        {"host": SIDEBAR, "countEnds": f" of {matches}", "column": column, "sort": "descending",
                         "request": f"order_by={column} desc"}, header.click)
        timings.measure(page, "sidebar: next page, list filtered -> page",
                        {"host": SIDEBAR, "countStarts": "51-", "request": "offset=50"},
                        lambda: page.click(f"{SIDEBAR} button.mlm-next"))
    return shown


def widget_steps(page: Any, server: Any, total: int, repeats: int, timings: Timings) -> list[float]:
    """(d) ``mlm.runs()`` in a notebook cell; returns the kernel's build times of the widget (s)."""
    open_notebook(page, server, ["import time\nimport mlm_jupyter as mlm\n_build = []"], "paint.ipynb")
    index = add_cell(page, "_t = time.perf_counter(); _w = mlm.runs(); _build.append(time.perf_counter() - _t); _w")
    cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
    cell = cells.nth(index)
    # the rows must belong to this execution's widget, not to the one it replaces
    page.evaluate("""(index) => { window.__mlmCell = () =>
        document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')[index];
      window.__mlmHost = () => {
        const views = [...window.__mlmCell().querySelectorAll('.mlm-runs')].filter(v => !v.__mlmOld);
        return views.length ? views[views.length - 1] : null; }; }""", index)
    rows = min(50, total)
    for repeat in range(repeats + 1):  # the first execution is cold (imports, first widget): reported apart
        if repeat:
            page.evaluate("() => window.__mlmCell().querySelectorAll('.mlm-runs').forEach(v => v.__mlmOld = true)")
            cell.locator(".jp-InputPrompt").click()
        step = "notebook: mlm.runs() Ctrl+Enter -> first page" + ("" if repeat else " (cold)")
        timings.measure(page, step, {"count": count_text(total, 0, rows), "rows": rows},
                        lambda: page.keyboard.press("Control+Enter"))
        column = "metrics.m1"  # a dense metric (every run has it), among the widget's default columns
        header = cell.locator(f".mlm-runs th[data-column='{column}']")
        timings.measure(page, f"notebook: sort by {column} -> page",
                        {"count": count_text(total, 0, rows), "rows": rows, "column": column,
                         "sort": "descending"}, header.click)
        timings.measure(page, "notebook: next page -> page",
                        {"count": count_text(total, rows, min(rows, total - rows)), "rows": min(rows, total - rows),
                         "column": column, "sort": "descending"},
                        lambda: cell.locator(".mlm-runs button.mlm-next").click())
    cell.locator(".jp-InputPrompt").click()
    out = add_cell(page, "import json; print(json.dumps(_build))")
    page.keyboard.press("Control+Enter")
    text = cells.nth(out).locator(".jp-OutputArea-output")
    text.wait_for()
    return [float(x) for x in json.loads(text.inner_text())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an existing store (bench_speed.py --keep builds one)")
    parser.add_argument("--runs", type=int, default=100_000, help="without --store: seed this many runs first")
    parser.add_argument("--in-place", action="store_true", help="serve --store itself instead of a copy")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-widget", action="store_true")
    parser.add_argument("--skip-sidebar", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-paint-") as folder:
        base = Path(folder)
        store = base / "store"
        if args.store and args.in_place:
            store = args.store
        elif args.store:
            start = time.perf_counter()
            shutil.copytree(args.store, store)
            print(f"copied {args.store} in {time.perf_counter() - start:.1f} s")
        else:
            elapsed, size = seed_store(store, args.runs, series_every=10, points=1000)
            print(f"seeded {args.runs:,} runs in {elapsed:.1f} s ({size / args.runs:,.0f} bytes/run)")
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        server = start_lab_server(base, store=store)
        try:
            url, token = server.url, server.token
            start = time.perf_counter()
            total = int(rest(url, token, "mlm/api/runs?limit=50")["total"])
            print(f"store: {total:,} runs, {size / 2**30:.2f} GiB; first REST page (cold) "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms [{load()}]")
            timings = Timings()
            build: list[float] = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                     args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
                page.set_default_timeout(TIMEOUT_MS)
                shown: list[str] = []
                if not args.skip_sidebar:
                    shown = sidebar_steps(page, url, token, total, args.repeats, timings)
                if not args.skip_widget:
                    build = widget_steps(page, server, total, args.repeats, timings)
                browser.close()
        finally:
            stop_lab_server(server)
    print(f"\nFirst paint at {total:,} runs, headless Chromium, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
          f"[{load()}]")
    if shown:
        print(f"  sidebar count lines (first repeat): {shown[0]!r}; " + "; ".join(shown[1:len(FILTERS) + 1]))
    timings.report()
    if build:
        print(f"  notebook: mlm.runs() built in the kernel (first page over REST): cold {build[0] * 1000:.0f} ms, "
              f"warm {_ms(build[1:])}")


if __name__ == "__main__":
    main()
