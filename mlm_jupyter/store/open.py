"""Pick the store backend for this process (DESIGN.md §3: one writer)."""

from __future__ import annotations

import os
from pathlib import Path

from mlm_jupyter.store.contract import Store
from mlm_jupyter.store.location import resolve_store_dir

__all__ = ["open_store"]


def open_store(directory: str | os.PathLike[str] | None = None) -> Store:
    """Open the store for ``directory`` (resolved as DESIGN.md §3 says).

    With ``MLM_SERVER_URL`` (and ``MLM_TOKEN``) set and no ``MLM_STORE``, the
    process talks to that server only. A process that can reach a server
    owning the store talks to it; any other process opens the DuckDB file itself.
    """
    from mlm_jupyter.store.discovery import discover_server_store

    if directory is None and not os.environ.get("MLM_STORE"):
        from mlm_jupyter.store.remote import remote_from_environment

        shared = remote_from_environment()  # MLM_SERVER_URL + MLM_TOKEN: a team's server, no shared disk
        if shared is not None:
            return shared
    path: Path = resolve_store_dir(directory)
    remote = discover_server_store(path)
    if remote is not None:
        return remote
    from mlm_jupyter.store.duckdb_store import DuckDbStore  # a kernel reading over REST never imports DuckDB

    return DuckDbStore(path)
