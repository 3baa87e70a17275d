"""Real-style notebooks bare and with ``%load_ext mlm_jupyter``, in fresh kernels, alternating.

For each notebook of ``benchmarks/corpus/`` (``make_corpus.py``), each round runs
it bare, then with ``%load_ext mlm_jupyter`` as its first cell (order swapped
every other round), each in a fresh kernel (nbclient), and measures:

* the notebook's wall time from its first cell to its last (kernel start-up
  excluded; the ``%load_ext`` cell included), per-notebook ratio of medians,
  and the same ratio without the ``%load_ext`` cell (issue 19 counts the
  notebook's own cells; the ``%load_ext`` cost is a target of its own);
* the ``%load_ext`` cell's own time;
* the extension's per-cell hook times, read inside the kernel after the run
  (pre + post hook, median, p90, max over every cell of every notebook);
* recorded cells (in the store, after the kernel shut down) against executed cells.

Run: ``python benchmarks/bench_notebooks.py [--rounds 3] [--min-seconds 6] [--max-rounds 9] [--only NAME ...]``
(``--min-seconds``: short notebooks get more rounds, in pairs, until their bare runs add up to that).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

CORPUS = Path(__file__).parent / "corpus"
HOOKS = ("from mlm_jupyter.kernel.extension import extension_for\n"
         "_c = extension_for(get_ipython()).capture\n"
         "print('HOOKS', __import__('json').dumps([[k, t] for k, t in _c.hook_times]))")
# the kernel's CPU time so far (all threads) and its full (generation-2) garbage collections so far: a short
# notebook's ratio jumps when the extension's objects bring a due full collection (50-70 ms) into its cells
CPU = "print('CPU', __import__('time').process_time(), __import__('gc').get_stats()[2]['collections'])"


def run_notebook(path: Path, with_extension: bool, store: Path) -> dict[str, Any]:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if with_extension:
        code = [nbformat.v4.new_code_cell("%load_ext mlm_jupyter"), *code]
    nb.cells = code
    workdir = Path(tempfile.mkdtemp(prefix="mlm-bench-nb-"))
    copy = workdir / path.name
    nbformat.write(nb, copy)
    env = {**os.environ, "MLM_STORE": str(store), "JPY_SESSION_NAME": str(copy)}
    env.pop("MLM_RUN_OWNER", None)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(workdir)}})
    hooks: list[tuple[str, float]] = []
    with open(workdir / "kernel.log", "wb") as log, client.setup_kernel(env=env, stderr=log, stdout=log):
        start = time.perf_counter()
        load_time = None
        per_cell = []
        for index, cell in enumerate(nb.cells):
            began = time.perf_counter()
            client.execute_cell(cell, index)
            per_cell.append(time.perf_counter() - began)
            if with_extension and index == 0:
                load_time = time.perf_counter() - began
        wall = time.perf_counter() - start
        cells_wall = wall - (load_time or 0.0)  # the notebook's own cells (the issue counts %load_ext under speed)
        cpu_probe = nbformat.v4.new_code_cell(CPU)
        nb.cells.append(cpu_probe)
        client.execute_cell(cpu_probe, len(nb.cells) - 1)
        probe_out = next(o["text"].split() for o in cpu_probe.outputs if o.get("name") == "stdout")
        cpu, full_collections = float(probe_out[1]), int(probe_out[2])
        if with_extension:
            probe = nbformat.v4.new_code_cell(HOOKS)
            nb.cells.append(probe)
            client.execute_cell(probe, len(nb.cells) - 1)
            for output in probe.outputs:
                if output.get("name") == "stdout" and output["text"].startswith("HOOKS"):
                    hooks = [(k, float(t)) for k, t in json.loads(output["text"][len("HOOKS"):])]
    errors = sum(1 for c in nb.cells for o in c.outputs if o.get("output_type") == "error")
    log_text = (workdir / "kernel.log").read_text(errors="replace")
    ours = [line for line in log_text.splitlines() if "mlm" in line.lower() or "Traceback" in line]
    executed = len(nb.cells)  # with the extension: its %load_ext cell and the probes are recorded too
    return {"wall": wall, "cells_wall": cells_wall, "per_cell": per_cell[1:] if with_extension else per_cell, "cpu": cpu, "full_gc": full_collections, "load": load_time, "hooks": hooks, "cells": executed,
            "errors": errors, "log_lines": ours}


def recorded_cells(store: Path) -> int:
    from mlm_jupyter.tracking.client import MlmClient

    client = MlmClient(store)
    try:
        return len(client.cell_history())
    finally:
        client.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--min-seconds", type=float, default=0.0,
                        help="more rounds (up to --max-rounds) for short notebooks, until bare runs add up to this")
    parser.add_argument("--max-rounds", type=int, default=9)
    args = parser.parse_args()
    # An installed wheel has its bytecode compiled; this checkout may not (PYTHONDONTWRITEBYTECODE), and each
    # kernel would then compile every module of ours it imports (about 0.1 s for the extension alone).
    import compileall

    import mlm_jupyter

    compileall.compile_dir(str(Path(mlm_jupyter.__file__).parent), quiet=1)
    notebooks = sorted(CORPUS.glob("*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if n.stem in args.only]
    print(f"load average before: {open('/proc/loadavg').read().strip()}")
    rows, all_hooks, post_hooks, loads, all_log_lines = [], [], [], [], []
    executed_total = recorded_total = 0
    for path in notebooks:
        bare, loaded, errors, log_lines, loaded_cells = [], [], set(), [], []
        cells_bare: list[list[float]] = []
        cells_loaded: list[list[float]] = []
        cpu_bare, cpu_loaded, counts = [], [], [0, 0]
        full_gc: dict[bool, list[int]] = {False: [], True: []}
        r = 0
        while r < args.rounds or (r < args.max_rounds and r % 2 == 1) or \
                (r < args.max_rounds and sum(bare) < args.min_seconds):
            order = (False, True) if r % 2 == 0 else (True, False)
            for with_extension in order:
                store = Path(tempfile.mkdtemp(prefix="mlm-bench-store-"))
                result = run_notebook(path, with_extension, store)
                (loaded if with_extension else bare).append(result["wall"])
                (cells_loaded if with_extension else cells_bare).append(result["per_cell"])
                if with_extension:
                    loaded_cells.append(result["cells_wall"])
                (cpu_loaded if with_extension else cpu_bare).append(result["cpu"])
                full_gc[with_extension].append(result["full_gc"])
                errors.add(result["errors"])
                if with_extension:
                    loads.append(result["load"])
                    log_lines += result["log_lines"]
                    cell_hooks = [t for k, t in result["hooks"]]
                    all_hooks.extend(cell_hooks)
                    post_hooks.extend(t for k, t in result["hooks"] if k == "post")
                    recorded = recorded_cells(store)
                    counts[0] += recorded
                    counts[1] += result["cells"]
                    executed_total += result["cells"]
                    recorded_total += recorded
            r += 1
        ratio = statistics.median(loaded) / statistics.median(bare)
        cells_ratio = statistics.median(loaded_cells) / statistics.median(bare)
        # the sum of each cell's median: one slow cell in one round (an import, a collection) moves it less
        per_cell_ratio = sum(statistics.median(c) for c in zip(*cells_loaded)) / \
            sum(statistics.median(c) for c in zip(*cells_bare))
        cpu_ratio = statistics.median(cpu_loaded) / statistics.median(cpu_bare)
        gcs = f"{statistics.median(full_gc[False]):g} / {statistics.median(full_gc[True]):g}"
        rows.append((path.stem, statistics.median(bare), statistics.median(loaded), ratio, len(log_lines),
                     cpu_ratio, counts, cells_ratio, r, per_cell_ratio, gcs))
        all_log_lines.extend(log_lines)
        print(f"{path.stem:<26} bare {statistics.median(bare):6.2f} s  loaded {statistics.median(loaded):6.2f} s  "
              f"ratio {ratio:5.3f}  without the %load_ext cell {cells_ratio:5.3f} (per-cell medians {per_cell_ratio:5.3f})  "
              f"kernel CPU ratio {cpu_ratio:5.3f}  full collections bare/loaded {gcs}  "
              f"rounds {r}  recorded {counts[0]}/{counts[1]}  kernel-log lines of ours: {len(log_lines)}", flush=True)
    print()
    print("| notebook | rounds | bare (s) | with extension (s) | wall ratio | without the `%load_ext` cell "
          "| same, sum of per-cell medians | kernel CPU ratio | full GCs bare / loaded | recorded / executed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, b, lo, ratio, _, cpu_ratio, counts, cells_ratio, rounds, per_cell_ratio, gcs in rows:
        print(f"| {name} | {rounds} | {b:.2f} | {lo:.2f} | {ratio:.3f} | {cells_ratio:.3f} | {per_cell_ratio:.3f} "
              f"| {cpu_ratio:.3f} | {gcs} | {counts[0]} / {counts[1]} |")
    ratios = [r[3] for r in rows]
    cells_ratios = [r[7] for r in rows]
    per_cell_ratios = [r[9] for r in rows]
    print(f"sum of per-cell medians, without the %load_ext cell: median {statistics.median(per_cell_ratios):.3f}, "
          f"max {max(per_cell_ratios):.3f}; over 1.05: {sum(1 for x in per_cell_ratios if x > 1.05)} of {len(rows)}")
    print(f"\nwithout the %load_ext cell: median {statistics.median(cells_ratios):.3f}, max {max(cells_ratios):.3f}; "
          f"over 1.05: {sum(1 for x in cells_ratios if x > 1.05)} of {len(rows)}")
    cpu_ratios = [r[5] for r in rows]
    print(f"\nkernel CPU ratios: median {statistics.median(cpu_ratios):.3f}, max {max(cpu_ratios):.3f}")
    print(f"\nratios: median {statistics.median(ratios):.3f}, max {max(ratios):.3f}; "
          f"sum of medians {sum(r[2] for r in rows) / sum(r[1] for r in rows):.3f}")
    print(f"%load_ext cell: median {statistics.median(loads) * 1000:.1f} ms, max {max(loads) * 1000:.1f} ms")
    print(f"post hook: median {statistics.median(post_hooks) * 1000:.3f} ms, p90 {pct(post_hooks, 0.9) * 1000:.3f} ms, "
          f"max {max(post_hooks) * 1000:.3f} ms over {len(post_hooks)} cells")
    print(f"pre+post hooks: median {statistics.median(all_hooks) * 1000:.3f} ms, p90 {pct(all_hooks, 0.9) * 1000:.3f} "
          f"ms, max {max(all_hooks) * 1000:.3f} ms")
    print(f"recorded / executed cells: {recorded_total} / {executed_total}")
    print(f"load average after: {open('/proc/loadavg').read().strip()}")
    if all_log_lines:
        print("kernel-log lines of ours (must be none):\n" + "\n".join(all_log_lines[:40]))
        raise SystemExit(1)
    if recorded_total != executed_total:
        raise SystemExit(f"recorded {recorded_total} cells of {executed_total} executed")


if __name__ == "__main__":
    main()
