"""Row samples of the tables a ``%%track`` cell read, so a model trained in the cell has a drift reference.

``mlm.log_input(df, name=..., role="train")`` stores a sample at once. A
``%%track`` cell records its inputs by fingerprint; at the run's end
``keep_samples`` picks each new table's sample rows right away (at most
20,000 row positions, a copy the next cell cannot change; ~1-5 ms) and
converts and stores them in a background thread, so the cell does not wait
for the Parquet encoding and the store. A digest sampled once in this
process is not looked at again. ``wait`` joins the pending threads (at exit
too, for at most a few seconds).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Mapping

from mlm_jupyter.store.exit_steps import at_exit
from mlm_jupyter.tracking.reference import pick_rows, rows_table, sample_seed, store_table_sample

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["is_table", "keep_samples", "wait"]

log = logging.getLogger("mlm_jupyter")
_done: set[str] = set()
_threads: list[threading.Thread] = []
_lock = threading.Lock()


def is_table(value: Any) -> bool:
    """A 2-D table (DataFrame, Arrow table, 2-D array): what can be a drift reference (a target vector cannot)."""
    import pyarrow as pa

    if isinstance(value, (pa.Table, pa.RecordBatch)):
        return True
    shape = getattr(value, "shape", None)
    module = type(value).__module__
    return bool(module.startswith(("pandas", "polars", "numpy")) and isinstance(shape, tuple) and len(shape) == 2
                and shape[0] > 0 and shape[1] > 0)


def _store(client: MlmClient, picked: list[tuple[str, Any, int]]) -> None:
    for digest, sample, total in picked:
        try:
            if client.store.read("dataset_sample", digest=digest) is not None:
                continue
            table = rows_table(sample)
            if table is not None and table.num_columns:
                store_table_sample(client.store, digest, table, total)
        except Exception as error:  # noqa: BLE001 -- a convenience: one odd table (say, complex numbers Arrow
            # cannot convert) is logged and skipped; the thread goes on to the next and never prints a traceback
            with _lock:
                _done.discard(digest)  # a later run may try again
            log.debug("no reference sample kept for %s: %s", digest, error)


def keep_samples(client: MlmClient, tables: Mapping[str, tuple[str, Any]]) -> threading.Thread | None:
    """Keep a row sample of each ``name -> (digest, value)`` that is a table not sampled yet.

    Returns the background thread that stores them (``None`` when there was nothing new).
    """
    picked = []
    for _name, (digest, value) in sorted(tables.items()):
        with _lock:
            if not digest or digest in _done or not is_table(value):
                continue
        chosen = pick_rows(value, sample_seed(digest))  # if it raises, a later run may try this table again
        with _lock:
            _done.add(digest)
        if chosen is not None:
            picked.append((digest, chosen[0], chosen[1]))
    if not picked:
        return None
    thread = threading.Thread(target=_store, args=(client, picked), name="mlm-reference-samples", daemon=True)
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    return thread


def wait(timeout: float | None = None) -> bool:
    """Join the threads still storing samples; ``False`` if ``timeout`` (for all of them together) passed first."""
    with _lock:
        pending = list(_threads)
    deadline = None if timeout is None else time.monotonic() + timeout
    for thread in pending:
        thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in pending)


def _wait_at_exit() -> None:
    wait(5.0)


# after the open runs end (10), before the clients are stored and closed (20): the samples reach the store
at_exit(_wait_at_exit, order=15)
