"""Row samples of tables a ``%%track`` cell read (tracking.reference_samples): one odd table never costs the others."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mlm_jupyter.tracking import reference_samples
from mlm_jupyter.tracking.client import MlmClient


def test_a_table_arrow_cannot_convert_is_skipped_and_the_next_one_is_still_sampled(tmp_path: Path) -> None:
    client = MlmClient(tmp_path / "store")
    try:
        complex_numbers = pd.DataFrame({"z": [1 + 2j, 3 - 1j]})  # Arrow has no complex type: conversion raises
        plain = pd.DataFrame({"b": [1.0, 2.0, 3.0]})
        thread = reference_samples.keep_samples(client, {"a": ("c0" * 16, complex_numbers),
                                                         "b": ("d1" * 16, plain)})
        assert thread is not None and reference_samples.wait(30)
        assert client.store.read("dataset_sample", digest="c0" * 16) is None
        assert client.store.read("dataset_sample", digest="d1" * 16) is not None
    finally:
        client.close()


def test_wait_gives_all_threads_one_deadline() -> None:
    import threading
    import time

    stop = threading.Event()
    stuck = [threading.Thread(target=stop.wait, daemon=True) for _ in range(3)]
    for thread in stuck:
        thread.start()
    with reference_samples._lock:
        reference_samples._threads.extend(stuck)
    try:
        began = time.monotonic()
        assert reference_samples.wait(0.3) is False
        assert time.monotonic() - began < 0.9  # one 0.3 s budget for all three, not 0.3 s each
    finally:
        stop.set()
        for thread in stuck:
            thread.join()
