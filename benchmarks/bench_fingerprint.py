"""Benchmark: exact data fingerprints vs hash_pandas_object, joblib.hash, md5 and a numpy copy.

Run: ``python benchmarks/bench_fingerprint.py [--gib 1.0] [--runs 5] [--only numeric|strings|table]``.
Prints medians of several runs (methods take turns; a warm-up round is not counted),
throughput and ratios, then fingerprint+profile of a 10M x 10 table with its peak
extra memory (RSS sampled every 2 ms, and tracemalloc). The string case covers every
string dtype a pandas 3 user meets: the default (``str``, Arrow-backed), ``object``
and ``string[python]``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import threading
import time
import tracemalloc
from typing import Any, Callable

import numpy as np
import pandas as pd
import psutil

from mlm_jupyter.core.fingerprint import fingerprint


def median_seconds(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(methods: dict[str, Callable[[], Any]], runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per method; methods take turns in each round, so a busy
    machine slows every method alike (CPU seconds count every thread of this process)."""
    wall: dict[str, list[float]] = {name: [] for name in methods}
    cpu: dict[str, list[float]] = {name: [] for name in methods}
    for fn in methods.values():  # warm-up round, not counted
        fn()
    for _ in range(runs):
        for name, fn in methods.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in methods}


def report(title: str, nbytes: int, results: dict[str, tuple[float, float]], reference: str) -> None:
    print(f"\n## {title} ({nbytes / 2**30:.2f} GiB)")
    print(f"{'method':<36}{'wall s':>9}{'GB/s':>8}{'ratio':>8}{'cpu s':>9}{'cpu ratio':>11}")
    base_wall, base_cpu = results[reference]
    for name, (seconds, cpu) in results.items():
        print(f"{name:<36}{seconds:>9.3f}{nbytes / seconds / 1e9:>8.2f}{seconds / base_wall:>8.1f}"
              f"{cpu:>9.3f}{cpu / base_cpu:>11.1f}")
    print("(ratio = method time / fingerprint time: how many times slower than mlm)")


def joblib_hash(obj: Any) -> str:
    import joblib

    return joblib.hash(obj)


def numeric_case(gib: float, runs: int) -> None:
    cols = 10
    rows = int(gib * 2**30 / 8 / cols)
    df = pd.DataFrame(np.random.default_rng(0).random((rows, cols)), columns=[f"c{i}" for i in range(cols)])
    nbytes = int(df.memory_usage(index=False).sum())
    raw = [df[c].to_numpy() for c in df.columns]
    results = measure({
        "mlm fingerprint(df) (default)": lambda: fingerprint(df),
        "mlm fingerprint(df, profile=False)": lambda: fingerprint(df, profile=False),
        "numpy copy (same bytes)": lambda: [a.copy() for a in raw],
        "md5 (same bytes)": lambda: [hashlib.md5(memoryview(a)).digest() for a in raw],
        "hash_pandas_object(df).sum()": lambda: pd.util.hash_pandas_object(df).sum(),
        "joblib.hash(df)": lambda: joblib_hash(df),
    }, runs)
    report(f"numeric DataFrame {rows:,} x {cols} float64", nbytes, results, "mlm fingerprint(df) (default)")


def string_frames(rows: int) -> dict[str, pd.DataFrame]:
    """The same 3 string + 1 float columns in every string dtype a pandas 3 user meets.

    ``default``: built as a user builds it (``pd.DataFrame`` from Python strings, as
    ``read_csv`` does): pandas 3 infers ``str``, backed by pyarrow. ``object``:
    pandas 2 habits (``dtype=object``, ``astype(object)``). ``string[python]``:
    the python-backed ``StringDtype`` (objects behind the scenes).
    """
    rng = np.random.default_rng(1)
    words = [f"customer-{i:07d}" for i in range(50_000)]
    name = [words[i] for i in rng.integers(0, len(words), rows)]
    note = [words[i] for i in rng.integers(0, len(words), rows)]
    city = [["paris", "lyon", "nice", "lille", "nantes"][i] for i in rng.integers(0, 5, rows)]
    x = rng.random(rows)
    default = pd.DataFrame({"name": name, "city": city, "note": note, "x": x})
    strings = {"name": object, "city": object, "note": object}
    return {
        "default": default,
        "object": pd.DataFrame({"name": name, "city": city, "note": note, "x": x}).astype(strings),
        "string[python]": default.astype({k: "string[python]" for k in strings}),
    }


def string_case(rows: int, runs: int, only: str | None = None) -> None:
    for label, frame in string_frames(rows).items():
        if only and only != label:
            continue
        dtype = repr(frame["name"].dtype)
        nbytes = int(frame.memory_usage(index=False, deep=True).sum())
        fingerprint(frame.head(10))  # warm imports (polars is imported on first large object column)
        results = measure({
            "mlm fingerprint(df) (default)": lambda: fingerprint(frame),
            "mlm fingerprint(df, profile=False)": lambda: fingerprint(frame, profile=False),
            "hash_pandas_object(df).sum()": lambda: pd.util.hash_pandas_object(frame).sum(),
            "joblib.hash(df)": lambda: joblib_hash(frame),
        }, runs)
        report(f"string DataFrame {rows:,} rows, 3 string + 1 float column, {label}: dtype {dtype}", nbytes,
               results, "mlm fingerprint(df) (default)")


class PeakRss:
    """Samples this process's RSS on a thread; ``peak - start`` is the extra memory."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def big_table_case(runs: int) -> None:
    rows, cols = 10_000_000, 10
    rng = np.random.default_rng(2)
    df = pd.DataFrame({f"c{i}": (rng.random(rows) if i % 2 else rng.integers(0, 1000, rows)) for i in range(cols)})
    nbytes = int(df.memory_usage(index=False).sum())
    fingerprint(df.head(10))  # warm imports
    seconds = median_seconds(lambda: fingerprint(df), runs)
    gc.collect()
    with PeakRss() as rss:
        fingerprint(df)
    tracemalloc.start()
    fingerprint(df)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    extra = rss.peak - rss.start
    print(f"\n## fingerprint + profile of a {rows:,} x {cols} table ({nbytes / 2**20:.0f} MiB)")
    print(f"median {seconds:.3f} s; peak extra RSS {extra / 2**20:.1f} MiB ({extra / nbytes:.1%} of the table); "
          f"tracemalloc peak {traced_peak / 2**20:.1f} MiB ({traced_peak / nbytes:.1%})")
    with_rows = median_seconds(lambda: fingerprint(df, rows=True), 1)
    print(f"with rows=True (row sketch): {with_rows:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=1.0, help="size of the numeric frame")
    parser.add_argument("--string-rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["numeric", "strings", "table"], help="run one case")
    parser.add_argument("--strings", choices=["default", "object", "string[python]"],
                        help="with --only strings: one string dtype")
    args = parser.parse_args()
    print(f"pandas {pd.__version__}, numpy {np.__version__}, load average {os.getloadavg()}")
    if args.only in (None, "numeric"):
        numeric_case(args.gib, args.runs)
    if args.only in (None, "strings"):
        string_case(args.string_rows, args.runs, args.strings)
    if args.only in (None, "table"):
        big_table_case(args.runs)


if __name__ == "__main__":
    main()
