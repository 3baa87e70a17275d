"""Per-cell capture overhead of the kernel extension, in a real IPython shell.

1. 1,000 trivial cells (distinct sources) with and without ``%load_ext mlm_jupyter``:
   median time per cell, and the difference (target <= 1 ms).
2. A cell that touches an unchanged ~1 GB pandas DataFrame: median added time
   per cell (target: no rehash, < 5 ms), next to the one-off cost of the first
   fingerprint and to a 1 GB numpy array, which has no safe cheap change check
   and is rehashed whenever a cell touches it.
3. A trivial ``%%track`` cell (a whole run: params, provenance, snapshot, summary).

Run: ``python benchmarks/bench_cell_capture.py [--cells 1000] [--rounds 5] [--gb 1.0]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any


def timed_cells(ip: Any, sources: list[str]) -> list[float]:
    times = []
    for source in sources:
        start = time.perf_counter()
        result = ip.run_cell(source, store_history=True)
        times.append(time.perf_counter() - start)
        if not result.success:
            raise RuntimeError(f"benchmark cell failed: {source[:80]!r}")
    return times


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def rounds(n: int, measure: Callable[[int], float]) -> list[float]:
    return [measure(r) for r in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gb", type=float, default=1.0, help="size of the large DataFrame / array")
    args = parser.parse_args()
    os.environ["MLM_STORE"] = tempfile.mkdtemp(prefix="mlm-bench-cells-")

    from IPython.testing.globalipapp import start_ipython

    from mlm_jupyter.kernel import extension

    ip = start_ipython()
    ip.run_cell("import numpy as np\nimport pandas as pd", store_history=True)
    counter = iter(range(10**9))

    def plain_round(_: int) -> float:
        return median_ms(timed_cells(ip, [f"v = {next(counter)}" for _ in range(args.cells)]))

    def load() -> None:
        ip.run_cell("%load_ext mlm_jupyter", store_history=True)

    def unload() -> None:
        ip.run_cell("%unload_ext mlm_jupyter", store_history=True)

    # 1. trivial cells, alternating rounds without / with the extension
    without, with_ext = [], []
    plain_round(0)  # warm up
    load()
    plain_round(0)
    unload()
    for r in range(args.rounds):
        without.append(plain_round(r))
        load()
        with_ext.append(plain_round(r))
        unload()
    base, loaded = statistics.median(without), statistics.median(with_ext)
    print(f"trivial cells ({args.cells} x {args.rounds} rounds, distinct sources)")
    print(f"  without extension: median {base:.3f} ms/cell  (rounds: {', '.join(f'{x:.3f}' for x in without)})")
    print(f"  with extension:    median {loaded:.3f} ms/cell  (rounds: {', '.join(f'{x:.3f}' for x in with_ext)})")
    print(f"  added per cell:    {loaded - base:.3f} ms  (ratio {loaded / base:.2f}x)")

    # 2. a cell touching an unchanged ~1 GB DataFrame
    columns = 8
    rows = int(args.gb * (1 << 30) / 8 / columns)
    ip.run_cell(f"big = pd.DataFrame(np.random.default_rng(0).random(({rows}, {columns})), "
                f"columns=[f'c{{i}}' for i in range({columns})])", store_history=True)
    size_gb = ip.user_ns["big"].memory_usage(index=False).sum() / (1 << 30)
    touch = [f"n{i} = len(big)" for i in range(50)]
    base_touch = median_ms(timed_cells(ip, touch))
    load()
    start = time.perf_counter()
    ip.run_cell("first_touch = len(big)", store_history=True)
    first = (time.perf_counter() - start) * 1000
    capture = extension.extension_for(ip).capture
    hashes_before = capture.values.hashes
    touched = median_ms(timed_cells(ip, touch))
    rehashes = capture.values.hashes - hashes_before
    print(f"\ncell touching an unchanged {size_gb:.2f} GB DataFrame ({rows:,} x {columns} float64)")
    print(f"  without extension: median {base_touch:.3f} ms/cell")
    print(f"  with extension:    median {touched:.3f} ms/cell, added {touched - base_touch:.3f} ms; "
          f"rehashes in {len(touch)} cells: {rehashes}")
    print(f"  first touch (one full fingerprint): {first:.0f} ms")
    unload()
    ip.run_cell("del big", store_history=True)

    ip.run_cell(f"arr = np.random.default_rng(0).random({rows * columns})", store_history=True)
    base_arr = median_ms(timed_cells(ip, [f"m{i} = arr.size" for i in range(5)]))
    load()
    arr_touch = median_ms(timed_cells(ip, [f"m{i} = arr.size" for i in range(5)]))
    print(f"  numpy {size_gb:.2f} GB array (no safe change check; above MLM_CELL_REHASH_LIMIT plain cells "
          f"skip it): added {arr_touch - base_arr:.1f} ms/cell")
    ip.run_cell("del arr", store_history=True)

    # 3. a trivial %%track cell
    tracked = timed_cells(ip, [f"%%track -e bench\nlr = {i}\nscore = lr * 2" for i in range(20)])
    plain = timed_cells(ip, [f"lr = {i}\nscore = lr * 2" for i in range(20)])
    print(f"\n%%track cell (trivial body, 20 runs): median {median_ms(tracked):.1f} ms "
          f"vs {median_ms(plain):.3f} ms untracked")
    unload()


if __name__ == "__main__":
    main()
