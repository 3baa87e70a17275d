"""Pick the store backend for this process (DESIGN.md §3: one writer)."""

from __future__ import annotations

import os
from pathlib import Path

from mlm_jupyter.store.contract import Store
from mlm_jupyter.store.duckdb_store import DuckDbStore
from mlm_jupyter.store.location import resolve_store_dir

__all__ = ["open_store"]


def open_store(directory: str | os.PathLike[str] | None = None) -> Store:
    """Open the store for ``directory`` (resolved as DESIGN.md §3 says).

    A process that can reach a server owning the store talks to it; any other
    process opens the DuckDB file itself.
    """
    from mlm_jupyter.store.discovery import discover_server_store

    path: Path = resolve_store_dir(directory)
    remote = discover_server_store(path)
    if remote is not None:
        return remote
    return DuckDbStore(path)
