"""Typed search columns against the maps, on the same store, in the same process, alternating.

Seeds N runs x 20 params x 5 metrics through ``import_runs`` (the bulk path, which fills the typed
columns), then times each read twice per round: with the store's typed columns, and with the filter
compiled against the maps alone (``search_columns.for_search`` answering ``{}``, what every search did
before migration 0024). Reads: the filtered count, ``search_runs`` (all matches at 10k, the first page
of 100 above), the same ordered by ``metrics.m1 desc`` and by ``params.p1``, and ``runs_page`` (what the
sidebar and the runs table read) filtered. Prints medians and the ratio maps / typed.

Usage: ``python benchmarks/bench_search_columns.py [--runs 10000,100000] [--rounds 5] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.tracking.client import MlmClient

FILTER = "params.p3 = 'v3' and metrics.m0 > 0.5"


def seed(folder: Path, runs: int) -> MlmClient:
    client = MlmClient(folder / "store")
    if not (folder / "seeded").exists():
        rng = np.random.default_rng(1)
        now = time.time()
        started = time.perf_counter()
        for first in range(0, runs, 50_000):
            client.import_runs({"experiment": "bench", "name": f"run-{i}", "start_time": now + i, "end_time": now + i,
                                "params": {f"p{k}": f"v{(i + k) % 7}" for k in range(20)},
                                "metrics": {f"m{k}": float(rng.random()) for k in range(5)}}
                               for i in range(first, min(runs, first + 50_000)))
        print(f"  seeded {runs:,} runs in {time.perf_counter() - started:.1f} s")
        (folder / "seeded").touch()
    return client


def median_ms(call: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench(client: MlmClient, runs: int, rounds: int) -> None:
    page = runs if runs <= 10_000 else 100
    reads: dict[str, Callable[[], Any]] = {
        "count": lambda: client.count_runs(FILTER),
        f"search_runs ({'all matches' if page == runs else 'first 100'})": lambda: client.search_runs(
            FILTER, max_results=page),
        "search_runs by metrics.m1 desc (100)": lambda: client.search_runs(
            FILTER, order_by=["metrics.m1 desc"], max_results=100),
        "search_runs by params.p1 (100)": lambda: client.search_runs(FILTER, order_by=["params.p1"], max_results=100),
        "runs_page (50)": lambda: client.runs_page(FILTER, max_results=50),
    }
    typed_lookup = search_columns.for_search
    results: dict[str, dict[str, list[float]]] = {name: {"typed": [], "maps": []} for name in reads}
    repeats = 11 if runs <= 100_000 else 5
    for _ in range(rounds):
        for name, call in reads.items():
            for side in ("typed", "maps"):
                search_columns.for_search = typed_lookup if side == "typed" else (lambda s: {})  # type: ignore[assignment]
                try:
                    call()  # the first call of a side pays nothing the others do not
                    results[name][side].append(median_ms(call, repeats))
                finally:
                    search_columns.for_search = typed_lookup  # type: ignore[assignment]
    print(f"{runs:,} runs, {rounds} rounds, load {os.getloadavg()[0]:.1f}:")
    for name, sides in results.items():
        typed, maps = statistics.median(sides["typed"]), statistics.median(sides["maps"])
        print(f"  {name:<42} typed {typed:8.2f} ms   maps {maps:8.2f} ms   maps/typed {maps / typed:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="build the stores under DIR and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        for runs in (int(n) for n in args.runs.split(",")):
            client = seed(root / f"search-columns-{runs}", runs)
            try:
                bench(client, runs, args.rounds)
            finally:
                client.close()


if __name__ == "__main__":
    main()
