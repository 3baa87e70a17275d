"""MlmContext: the Jupyter-free core the handlers share, injected into ``web_app.settings``.

It holds the owning store, the client over it, the thread pool that runs
blocking store calls off the event loop, and the request limits. Nothing
here imports Jupyter or tornado, so it is built and tested on its own.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from mlm_jupyter.core.errors import StoreUnreachableError
from mlm_jupyter.server.owner import OwnerStore
from mlm_jupyter.store.stamping import Identity
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["LOAD_ERROR_KEY", "Limits", "MlmContext", "SETTINGS_KEY"]

SETTINGS_KEY = "mlm_jupyter"
LOAD_ERROR_KEY = "mlm_jupyter_load_error"  # why the store could not be opened (the API answers 503 with it)
T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """Request limits the handlers enforce."""

    max_body_bytes: int = 256 * 1024 * 1024   # JSON bodies (write batches carry Arrow tables)
    max_blob_bytes: int = 64 * 1024 ** 3      # one artifact upload (streamed to disk, so memory is not the bound)
    sql_max_rows: int = 100_000
    sql_timeout_s: float = 30.0
    max_page: int = 10_000                    # runs per page
    max_points: int = 100_000                 # points per downsampled metric history


def _lower_priority() -> None:
    """Run this thread (a raw-SQL worker, whose query may spin the CPU for its whole time limit) at the
    lowest CPU priority, so the sidebar's reads on the normal threads get the cores first (Linux: nice is
    per thread). Elsewhere it is a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


@dataclass
class MlmContext:
    """What every handler reaches through ``self.mlm``."""

    store: OwnerStore
    limits: Limits = field(default_factory=Limits)
    workers: int = 8
    sql_workers: int = 2
    client: MlmClient = field(init=False)
    pool: ThreadPoolExecutor = field(init=False)
    sql_pool: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self._closing = False
        self.client = MlmClient(self.store)
        self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="mlm-rest")
        # a caller's raw SQL may run for its whole time limit: it gets its own few threads (and so holds at
        # most that many of the store's read cursors), so slow queries queue behind each other, never in
        # front of the sidebar's reads
        self.sql_pool = ThreadPoolExecutor(max_workers=max(self.sql_workers, 1), thread_name_prefix="mlm-sql",
                                           initializer=_lower_priority)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call in the pool (reads run concurrently; writes queue on the store lock).

        After ``close()`` it raises ``StoreUnreachableError`` (503), so a late
        client journals its writes for the next owner instead of losing them.
        """
        if self.closed:
            raise StoreUnreachableError("the Jupyter server is shutting down and has closed the store; "
                                        "writes wait in the journal until the store is opened again")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    async def run_sql(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a caller's raw SQL on the SQL pool (``sql_workers`` threads), off the pool the UI reads use."""
        if self.closed:
            raise StoreUnreachableError("the Jupyter server is shutting down and has closed the store")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.sql_pool, functools.partial(fn, *args, **kwargs))

    async def run_as(self, identity: Identity, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``run``, with every store write ``fn`` makes stamped with ``identity`` (the request's user)."""
        acting_as = getattr(self.store, "acting_as", None)
        if acting_as is None:  # a follower forwards to the owner, which stamps this server's token identity
            return await self.run(fn, *args, **kwargs)

        def call() -> T:
            with acting_as(identity):
                return fn(*args, **kwargs)

        return await self.run(call)

    @property
    def closed(self) -> bool:
        return self._closing or self.store._closed

    def close(self) -> None:
        """Flush the client, stop the pool and close the store."""
        self._closing = True
        try:
            self.client.flush()
        finally:
            self.sql_pool.shutdown(wait=True, cancel_futures=True)
            self.pool.shutdown(wait=True, cancel_futures=False)
            self.store.close()
