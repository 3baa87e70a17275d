"""OwnerStore: the server's DuckDB store, held for the server's life, with concurrent reads.

``DuckDbStore`` serialises everything on one connection. The server owns the
file (``hold_seconds=None``) and must stay responsive while a big write runs,
so reads and raw SQL here run on a per-thread cursor (a DuckDB connection is
not thread-safe, so each concurrent reader borrows its own cursor) and see
the last committed state, while writes keep the store's lock. Run search
counts are cached per filter until the next write (every write to the file goes
through this object while the server holds it), so sorting, paging and polling a
filtered list of a million runs do not count its matches again. ``sweep()`` is
the owner's housekeeping: mark runs of dead local processes ``killed`` and
replay the journal others wrote while the server was unreachable.
"""

from __future__ import annotations

import logging
import queue
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb

from mlm_jupyter.core.errors import InvalidInputError, MlmError, StoreError
from mlm_jupyter.core.query import filter_reads_clock
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import BAD_VALUES, DuckDbStore
from mlm_jupyter.store.liveness import is_alive
from mlm_jupyter.store.session import Session
from mlm_jupyter.store.stamping import JOURNAL, Identity, stamp_batch, stamp_provider

__all__ = ["OwnerStore"]

log = logging.getLogger("mlm_jupyter.server")

_MAX_COUNTS = 256  # cached search counts (filter, experiments) -> total
_COUNTED_READS = frozenset({"search_runs", "runs_page"})  # reads of one search, one count: they share the cache


class OwnerStore(DuckDbStore):
    """A ``DuckDbStore`` in owner mode whose reads never wait behind a write."""

    def __init__(self, directory: str | Path, *, lock_timeout: float = 20.0, readers: int = 8) -> None:
        super().__init__(directory, hold_seconds=None, lock_timeout=lock_timeout)
        self.readers = readers
        self._cursors: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._all_cursors: list[Any] = []
        self._opened = threading.Event()
        self._acting = threading.local()
        self._generation = 0  # bumped by every write: a count cached under an older one is stale
        self._generation_lock = threading.Lock()
        self._counts: dict[tuple[Any, ...], tuple[int, int]] = {}

    def open(self) -> None:
        """Take the file now (migrate, recover, replay) and make the read cursors."""
        if self._opened.is_set():
            return
        with self._session() as session:
            if not self._opened.is_set():
                for _ in range(self.readers):
                    cursor = session.con.cursor()
                    self._all_cursors.append(cursor)
                    self._cursors.put(cursor)
                self._opened.set()

    @contextmanager
    def _read_session(self) -> Iterator[Session]:
        if self._closed:
            raise StoreError("this store was closed; open a new one")
        self.open()
        cursor = self._cursors.get()  # one cursor per concurrent reader; waits only if all are busy
        try:
            yield Session(cursor, self.directory, self.clock)
        finally:
            self._cursors.put(cursor)

    def read(self, query: str, **args: Any) -> Any:
        """Store reads; a run search (``search_runs``, ``runs_page``) reuses the count of an identical search
        made since the last write."""
        if query not in _COUNTED_READS or args.get("total") is not None or args.get("run_ids") is not None:
            return super().read(query, **args)
        try:
            key = (args.get("filter") or "", tuple(args.get("experiments") or ()))
            hash(key)
            if not isinstance(key[0], str) or filter_reads_clock(key[0]):  # matches move with time: count anew
                return super().read(query, **args)
        except TypeError:  # malformed arguments from a remote client: the read reports them
            return super().read(query, **args)
        generation = self._generation  # read before the search: a write landing meanwhile outdates the entry
        known = self._counts.get(key)
        if known is not None and known[0] == generation:
            args["total"] = known[1]
        result = super().read(query, **args)
        if len(self._counts) >= _MAX_COUNTS:
            self._counts.clear()
        self._counts[key] = (generation, int(result["total"]))
        return result

    @contextmanager
    def acting_as(self, identity: Identity) -> Iterator[None]:
        """Writes of this thread, while inside, are stamped with ``identity`` and the server's clock."""
        previous = getattr(self._acting, "identity", None)
        self._acting.identity = identity
        try:
            yield
        finally:
            self._acting.identity = previous

    def write(self, batch: WriteBatch) -> list[Any]:
        """Apply ``batch``; malformed op arguments from a remote client are a 400, not a 500."""
        identity = getattr(self._acting, "identity", None)
        if identity is not None:  # a request's write: who and when are the server's to say
            batch = stamp_batch(batch, identity, self.clock())
        try:
            return super().write(batch)
        except StoreError as error:
            if isinstance(error.__cause__, BAD_VALUES):
                raise InvalidInputError(f"write batch {batch.id} has values the store cannot take: "
                                        f"{error.__cause__}") from error
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # nothing was applied (rolled back)
            raise InvalidInputError(
                f"malformed write batch {batch.id}: {type(error).__name__}: {error}. Each op is "
                "{'kind': <store operation>, 'args': {...}} with the arguments that operation needs.") from error
        finally:
            with self._generation_lock:
                self._generation += 1

    # ------------------------------------------------------------ housekeeping

    def kill_owned_runs(self, owner: str, reason: str) -> list[str]:
        """Mark every running run of ``owner`` (e.g. ``kernel:<id>``) killed."""
        result = self.write(WriteBatch.of(Op("kill_runs", {"owner": owner, "reason": reason})))
        return list(result[0] or [])

    def sweep(self) -> dict[str, int]:
        """Kill runs of dead local processes and replay the journal; returns what it did."""
        running = self.read("running_runs", host=self._me.host)
        dead = [r["id"] for r in running if r["pid"] is not None and int(r["pid"]) != self._me.pid
                and not is_alive(int(r["pid"]), r["pid_start"])]
        if dead:
            self.write(WriteBatch.of(Op("kill_runs", {"run_ids": dead,
                                                      "reason": "the process (kernel or script) that ran it died"})))
        replayed = 0
        for path, batch in self.journal.pending():
            try:
                self.write(stamp_provider(batch, JOURNAL))  # the users it names were checked by no one
            except MlmError as error:  # a batch the store refuses must not block every later one
                log.warning("mlm-jupyter: journal batch %s was refused (%s); kept as %s.rejected",
                            batch.id, error, path.name)
                path.rename(path.with_name(path.name + ".rejected"))
                continue
            path.unlink(missing_ok=True)
            replayed += 1
        return {"killed": len(dead), "replayed": replayed}

    def close(self) -> None:
        cursors, self._all_cursors = self._all_cursors, []
        for cursor in cursors:
            try:
                cursor.close()
            except duckdb.Error:
                pass
        super().close()
