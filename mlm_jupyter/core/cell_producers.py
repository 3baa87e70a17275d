"""The registry of cell-record producers, kept apart from the tracking layer so registering one is free.

The kernel extension records cells from a background thread that may not have
imported the tracking layer yet (it waits for a pause between cells). A history
read in the very cell that first imports ``mlm_jupyter`` (``Run All``:
``%load_ext``, some cells, then ``mlm.history()``) must still wait for the cells
that finished before it, so the extension registers its ``drain`` here at load
time, and ``tracking.cells`` calls every registered drain before it reads.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["add_cell_producer", "drain_cell_producers", "remove_cell_producer"]

_producers: list[Callable[[], object]] = []


def add_cell_producer(drain: Callable[[], object]) -> None:
    """Register ``drain()``, which returns once its producer has queued every record it owes."""
    if drain not in _producers:
        _producers.append(drain)


def remove_cell_producer(drain: Callable[[], object]) -> None:
    if drain in _producers:
        _producers.remove(drain)


def drain_cell_producers() -> None:
    """Wait for every registered producer to queue the records of the cells that have finished."""
    for drain in list(_producers):
        drain()
