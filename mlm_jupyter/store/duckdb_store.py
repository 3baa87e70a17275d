"""DuckDbStore: the embedded store on ``<store dir>/mlm.duckdb``.

DuckDB lets one process hold a database file at a time and never waits for a
lock. So this store holds its connection only while it is busy (plus a short
idle grace, ``hold_seconds``) and at most ``max_hold_seconds`` in a row; a
second process that finds the file locked retries with backoff for up to
``lock_timeout`` seconds. Writes that still cannot get the file go to the
journal (``journal/``) and are replayed, exactly once, by whichever process
opens the file next. A store owned by a server is opened with
``hold_seconds=None``: it keeps the file for its whole life.

On every connect the store migrates the schema (only when it is behind),
replays the journal and the spools of dead processes (``store.spool``), and
then marks runs whose owning process died as ``killed``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import sys
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Sequence

import duckdb

from mlm_jupyter.core.errors import (
    CorruptStoreError,
    InvalidInputError,
    MlmError,
    NotFoundError,
    PermissionDeniedError,
    StoreBusyError,
    StoreError,
)
from mlm_jupyter.store import codec, domains, exit_steps, quiet_connect
from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.store.domains import search_columns
from mlm_jupyter.store.journal import Journal
from mlm_jupyter.store.object_artifacts import ObjectArtifacts, artifacts_location
from mlm_jupyter.store.liveness import is_alive, this_process
from mlm_jupyter.store.migrate import migrate
from mlm_jupyter.store.session import Session, first_row
from mlm_jupyter.store.sql_guard import check_statement, store_relations
from mlm_jupyter.store.stamping import JOURNAL, stamp_provider
from mlm_jupyter.store.spool import read_spool, replayable_spools

if TYPE_CHECKING:  # pyarrow is imported where a table is made: a short script's writes need none
    import pyarrow as pa

exit_steps.register_before_duckdb()  # duckdb is imported: our exit steps run before its exit hook

log = logging.getLogger("mlm_jupyter")

_jitter = random.Random()  # retry jitter from its own stream, never the user's `random` sequence
# One lock per store file for the writers of this process. DuckDB lets several connections of one process write
# the same file, but optimistically: two write transactions that touch the same table's catalog (a migration
# creating tables, the typed search columns' ALTER TABLE) or the same rows fail one of them. Two clients of one
# store in two threads then lost a write ("altered by a different transaction") or, opening a fresh store at
# once, took the migration's conflict for damage. Writes and the open (migrations, recovery) take this lock.
_file_locks: dict[str, threading.RLock] = {}
_file_locks_guard = threading.Lock()


def _file_lock(key: str) -> threading.RLock:
    with _file_locks_guard:
        found = _file_locks.get(key)
        if found is None:
            found = _file_locks[key] = threading.RLock()
        return found


def _forget_file_locks() -> None:
    """In a forked child: a lock another thread of the parent held would never be released."""
    global _file_locks_guard
    _file_locks_guard = threading.Lock()
    _file_locks.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_file_locks)

__all__ = ["DuckDbStore", "close_open_stores"]

_open_stores: weakref.WeakSet[DuckDbStore] = weakref.WeakSet()


def close_open_stores() -> None:
    """Close every store of this process (called at interpreter exit, after the clients flushed).

    A daemon thread inside DuckDB while Python finalizes aborts the whole process
    ("terminate called ... FATAL: exception not rethrown"), so every file is released first.
    """
    for store in list(_open_stores):
        try:
            store.close()
        except Exception:  # exit must not fail
            pass


_SHA256_HEX = frozenset("0123456789abcdef")
_READ_ONLY_STATEMENTS = ("SELECT", "EXPLAIN")
# DuckDB errors that mean "the caller's values do not fit" (a 400), not "the store failed" (a 500)
BAD_VALUES = (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException,
              duckdb.TypeMismatchException, duckdb.ConstraintException, duckdb.OutOfRangeException)


def _owned_by_a_process(owner: str | None) -> bool:
    """Runs whose recorded pid is their process: scripts, and kernels (a kernel killed while no server
    owned the store must not leave its run ``running`` forever)."""
    return owner in (None, "process") or str(owner).startswith("kernel:")


_BUSY_RETRY_SECONDS = 0.25
_USABLE_FOR_SECONDS = 5.0
_DAMAGED_ADVICE = ("Nothing was changed: move the file aside (e.g. to mlm.duckdb.broken) to start a fresh store, "
                   "or restore it from a backup.")
_ENVIRONMENT_ADVICE = ("Free some disk space, or make the store directory writable by you (or set MLM_STORE to "
                       "another store directory); the stored data is unchanged.")


def _leaves_connection_aborted(error: Exception) -> bool:
    text = str(error).lower()
    return "failed to commit" in text or "transaction is aborted" in text or _is_environment_error(error)


def _is_environment_error(error: Exception) -> bool:
    """A full disk or a permission problem, not damage to the file."""
    text = str(error).lower()
    return any(word in text for word in ("no space left", "disk full", "permission denied", "read-only",
                                         "read only"))


def _is_interpreter_exit(error: Exception) -> bool:
    """DuckDB's refusal to read a Python object once its exit hook ran (not a fault of the file)."""
    return "interpreter is shutting down" in str(error)


def _is_damage(error: Exception) -> bool:
    """A DuckDB error that means the file's content is damaged (truncated, overwritten), not a bad query."""
    text = str(error).lower()
    return any(words in text for words in ("could not read enough bytes", "corrupt", "checksum",
                                           "invalid block", "block id", "failed to read block"))


_FILE_HEADERS = 3 * 4096  # DuckDB's main header and two database headers precede the first block


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "lock" in text.lower() and ("Conflicting" in text or "Could not set lock" in text)


def _check_sha256(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= _SHA256_HEX:
        raise InvalidInputError(f"{sha256!r} is not a sha256 content address (64 lowercase hex digits)")
    return sha256


class DuckDbStore(Store):
    """The embedded DuckDB backend of the Store contract.

    Args:
        directory: the store directory (created on first use).
        hold_seconds: idle time after which the file is released for other
            processes; ``None`` keeps it for the life of the store (server mode).
        max_hold_seconds: longest continuous hold before the file is released
            at the end of an operation, so a busy writer cannot starve others.
        lock_timeout: how long to retry a locked file before giving up
            (writes then go to the journal; reads raise ``StoreBusyError``).
        clock: time source, injectable for tests.
        artifacts: an fsspec URL (``s3://bucket/prefix``, ...) where artifacts live, the
            ``artifacts/`` folder then being a verified cache; default ``MLM_ARTIFACTS``, else local only.
    """

    def __init__(self, directory: str | os.PathLike[str], *, hold_seconds: float | None = 0.5,
                 max_hold_seconds: float = 2.0, lock_timeout: float = 20.0,
                 clock: Callable[[], float] = time.time, artifacts: str | None = None) -> None:
        self.directory = Path(directory)
        self.path = self.directory / "mlm.duckdb"
        self._file_key = os.path.realpath(self.path)  # (see _file_lock)
        self.artifacts_dir = self.directory / "artifacts"
        location = artifacts_location(artifacts)
        self.remote = ObjectArtifacts(location, self.artifacts_dir) if location else None
        self.journal = Journal(self.directory / "journal")
        self.spool_directory = self.directory / "spool"
        self.hold_seconds = hold_seconds
        self.max_hold_seconds = max_hold_seconds
        self.lock_timeout = lock_timeout
        self.clock = clock
        self._lock = threading.RLock()
        self._con: Any = None
        self._opened_at = 0.0
        self._last_used = 0.0
        self._closed = False
        self._damaged: str | None = None  # why the file is known to be damaged; then every write is refused
        self._releaser: threading.Thread | None = None
        self._empty: Any = None
        self._appliers = domains.appliers()
        self._readers = domains.readers()
        self._journalable = domains.journalable()
        self._me = this_process()
        self._close_hooks: list[Callable[[], Any]] = []
        self._usable_at = -1e9  # when check_usable last opened the file fine
        self._busy_until = 0.0  # while the file stays locked, journalable writes wait only _BUSY_RETRY_SECONDS
        _open_stores.add(self)

    # ------------------------------------------------------------ connection

    def _connect(self, lock_timeout: float | None = None) -> Any:
        self.directory.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + (self.lock_timeout if lock_timeout is None else lock_timeout)
        delay = 0.02
        while True:
            try:
                con = quiet_connect.connect(str(self.path))  # progress bar off, no ipywidgets import
                break
            except duckdb.IOException as error:
                if not _is_lock_error(error):
                    if not _is_environment_error(error) and self.path.is_file():  # (read-only disk is not damage)
                        # not a DuckDB file, or a truncated/damaged one ("could not read enough bytes")
                        raise CorruptStoreError(
                            f"{self.path} is not a readable DuckDB store ({error}). {_DAMAGED_ADVICE}",
                            path=str(self.path)) from error
                    raise StoreError(
                        f"cannot open {self.path}: {error}. Check that this directory is readable and writable "
                        "by you, or set MLM_STORE to another store directory.", path=str(self.path)) from error
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{self.path} stays locked by another process ({error}). Stop that process or "
                        "start a Jupyter server with mlm-jupyter on this store so everyone shares it.",
                        path=str(self.path)) from error
                time.sleep(delay * (0.5 + _jitter.random()))
                delay = min(delay * 1.6, 0.5)
            except duckdb.Error as error:
                raise CorruptStoreError(
                    f"{self.path} could not be opened ({error}). {_DAMAGED_ADVICE}", path=str(self.path)) from error
        try:
            with _file_lock(self._file_key):  # another client of this process may be opening it too
                self._check_length(con)  # before anything can write to a damaged file
                migrate(con)
                con.execute("SET enable_external_access = false")
                self._recover(con)
        except duckdb.Error as error:  # the header opened but the body is damaged (a truncated copy)
            con.close()
            if _is_interpreter_exit(error):  # not damage: DuckDB refuses Python-backed scans at exit
                raise StoreError(f"cannot use {self.path} now: {error}", path=str(self.path)) from error
            if _is_environment_error(error):
                raise StoreError(f"cannot use {self.path}: {error}. {_ENVIRONMENT_ADVICE}",
                                 path=str(self.path)) from error
            self._mark_damaged(f"{self.path} is damaged ({error})")
            raise CorruptStoreError(self._damaged or "", path=str(self.path)) from error
        except Exception:
            con.close()
            raise
        return con

    def _check_length(self, con: Any) -> None:
        """A file too short to hold the blocks its header says are in use was cut short (a copy or a disk
        that filled up): found on open, in constant time, before anything reads or writes the missing part.
        (Blocks are numbered from 0, so ``used`` blocks need at least ``used`` blocks of file; a cut that
        removes less is found by the first read that fails, ``_is_damage``.)"""
        if self._damaged is not None:
            raise CorruptStoreError(self._damaged, path=str(self.path))
        row = first_row(con, "SELECT block_size, used_blocks FROM pragma_database_size()")
        if row is None or not row[1]:
            return
        needed = _FILE_HEADERS + int(row[0]) * int(row[1])
        actual = self.path.stat().st_size if self.path.exists() else 0
        if actual < needed:
            self._mark_damaged(f"{self.path} is damaged: it is {actual:,} bytes but holds {int(row[1])} blocks in "
                               f"use (at least {needed:,} bytes); the file was cut short (a copy or a disk that "
                               f"filled up). {_DAMAGED_ADVICE}")
            raise CorruptStoreError(self._damaged or "", path=str(self.path))

    def _mark_damaged(self, reason: str) -> None:
        """From now on every write is refused (a write would rewrite pages of the damaged file)."""
        self._damaged = reason if _DAMAGED_ADVICE in reason else f"{reason}. {_DAMAGED_ADVICE}"

    def _recover(self, con: Any) -> None:
        """Replay the journal and the spools of dead processes, then mark their runs ``killed``."""
        self.journal.replay(lambda batch: self._apply_any(con, stamp_provider(batch, JOURNAL)))
        self._replay_spools(con)
        session = Session(con, self.directory, self.clock)
        dead = [r["id"] for r in self._readers["running_runs"](session, host=self._me.host)
                if _owned_by_a_process(r["owner"]) and r["pid"] is not None
                and not is_alive(int(r["pid"]), r["pid_start"])]
        if dead:
            self._apply(con, WriteBatch.of(Op("kill_runs", {"run_ids": dead, "reason": "the process that ran it died"})))

    def _replay_spools(self, con: Any) -> None:
        """Store what dead processes' spools hold past the offset already stored, exactly once."""
        for path, fd in replayable_spools(self.spool_directory):
            try:
                stem = path.name[:-len(".spool")]
                done = con.execute("SELECT id FROM applied_batches WHERE id LIKE ?",
                                   [f"spool:{stem}:%"]).fetchall()
                start = max((int(row[0].rsplit(":", 1)[1]) for row in done), default=0)
                records = read_spool(path, start)
                if records.end > start and records.ops:
                    from mlm_jupyter.store.spool import batch_id

                    self.apply_isolated(con, WriteBatch(tuple(records.ops), id=batch_id(stem, records.end)))
                    log.info("mlm-jupyter replayed %d metric points and %d writes of a process that died (%s)",
                             records.points, len(records.ops), path.name)
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def _apply_any(self, con: Any, batch: WriteBatch) -> list[Any]:
        """Queued writes (``spool:`` batches): runs created in them are stored in bulk, and the other ops
        one by one when one of them is refused."""
        if not batch.id.startswith("spool:"):
            return self._apply(con, batch)
        from mlm_jupyter.store.domains.run_import import FOLD_FROM_RUNS, fold

        if sum(op.kind == "create_run" for op in batch.ops) >= FOLD_FROM_RUNS:  # a loop's many short runs
            batch = WriteBatch(tuple(fold(list(batch.ops))), id=batch.id)
        return self.apply_isolated(con, batch)

    def apply_isolated(self, con: Any, batch: WriteBatch) -> list[Any]:
        """Apply ``batch``; when one op is refused (a param conflict, a missing run), apply the others
        one by one, log the refused ones and record the batch id, so a replay never sticks on it."""
        try:
            return self._apply(con, batch)
        except MlmError as error:
            if isinstance(error, StoreError):
                raise
        results: list[Any] = []
        for i, op in enumerate(batch.ops):
            try:
                results.extend(self._apply(con, WriteBatch((op,), id=f"{batch.id}:{i}")))
            except MlmError as error:
                if isinstance(error, StoreError):
                    raise
                log.warning("mlm-jupyter could not store a queued %s: %s", op.kind, error)
                results.append(None)
        self._apply(con, WriteBatch((), id=batch.id))
        return results

    @contextmanager
    def _session(self, lock_timeout: float | None = None) -> Iterator[Session]:
        if self._closed:
            raise StoreError("this store was closed; open a new one")
        with self._lock:
            if self._con is None:
                self._con = self._connect(lock_timeout)
                self._opened_at = time.monotonic()
            try:
                yield Session(self._con, self.directory, self.clock)
            finally:
                self._last_used = time.monotonic()
                if self.hold_seconds is not None:
                    if self._last_used - self._opened_at > self.max_hold_seconds:
                        self._release()
                    else:
                        self._start_releaser()

    def _release_quietly(self) -> None:
        try:
            self._release()
        except Exception:  # noqa: BLE001 -- closing a broken connection may fail too; it is dropped anyway
            self._con = None

    def _release(self) -> None:
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                finally:
                    self._con = None

    def _start_releaser(self) -> None:
        if self._releaser is not None and self._releaser.is_alive():
            return

        def release_when_idle() -> None:
            while not self._closed:
                time.sleep(max(self.hold_seconds or 0.5, 0.05) / 2)
                if sys.is_finalizing():  # never enter DuckDB while the interpreter tears down
                    return
                with self._lock:
                    if self._con is None:
                        return
                    if time.monotonic() - self._last_used >= (self.hold_seconds or 0):
                        self._release()
                        return

        self._releaser = threading.Thread(target=release_when_idle, name="mlm-store-release", daemon=True)
        self._releaser.start()

    def check_usable(self) -> None:
        """Open the file now if it is not open, so a damaged or unwritable store fails the caller at once.

        A file locked by another process is not an error here (queued writes wait in the spool).
        A store opened fine within the last few seconds is not opened again: a loop of short runs
        would otherwise wait, at every ``start_run``, for the lock the background flush holds.
        """
        if self._damaged is None and not self._closed and time.monotonic() - self._usable_at < _USABLE_FOR_SECONDS:
            return
        try:
            with self._session(lock_timeout=0):
                pass
        except StoreBusyError:
            return
        self._usable_at = time.monotonic()

    # ------------------------------------------------------------ writes

    def _apply(self, con: Any, batch: WriteBatch) -> list[Any]:
        with _file_lock(self._file_key):  # one write transaction at a time per file in this process
            return self._apply_locked(con, batch)

    def _apply_locked(self, con: Any, batch: WriteBatch) -> list[Any]:
        con.execute("BEGIN TRANSACTION")
        try:
            done = first_row(con, "SELECT results FROM applied_batches WHERE id = ?", [batch.id])
            if done is not None:
                con.execute("ROLLBACK")
                return list(codec.loads(done[0])) if done[0] else [None] * len(batch.ops)
            session = Session(con, self.directory, self.clock)
            results = []
            for op in batch.ops:
                applier = self._appliers.get(op.kind)
                if applier is None:
                    raise InvalidInputError(f"unknown store operation {op.kind!r}")
                results.append(applier(session, dict(op.args)))
            con.execute("INSERT INTO applied_batches VALUES (?, ?, ?)",
                        [batch.id, self.clock(), codec.dumps(results)])
            con.execute("COMMIT")
            return results
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:  # a failed COMMIT (disk full) already ended the transaction: keep its error
                pass
            search_columns.forget(con)  # the typed search columns the batch added are gone with it
            raise

    def write(self, batch: WriteBatch) -> list[Any]:
        if self._damaged is not None:
            raise CorruptStoreError(self._damaged, path=str(self.path))
        journalable = all(op.kind in self._journalable for op in batch.ops)
        # Once a write had to go to the journal, the next ones try the lock briefly instead of for
        # lock_timeout each: a cell logging 50 params into a locked store must not stall 50 x 20 s.
        busy = journalable and time.monotonic() < self._busy_until
        try:
            with self._session(_BUSY_RETRY_SECONDS if busy else None) as session:
                results = self._apply_any(session.con, batch)
            self._busy_until = 0.0
            return results
        except StoreBusyError:
            if journalable:
                if not busy:
                    print(f"mlm-jupyter: {self.path} is locked by another process; writes are kept in "
                          f"{self.journal.directory} and applied, exactly once, when the file is free. "
                          "Stop the other process, or start a Jupyter server with mlm-jupyter on this "
                          "store so everyone shares it.", file=sys.stderr)
                self._busy_until = time.monotonic() + self.lock_timeout
                self.journal.append(batch)
                return [None] * len(batch.ops)
            raise
        except MlmError:
            raise
        except duckdb.Error as error:
            # A COMMIT that hit a full disk leaves the connection aborted: drop it, so the next write reconnects
            # instead of failing 'transaction is aborted' forever. (Not a server's owner store, whose read
            # cursors live on its one connection, nor for ordinary errors such as a bad op.)
            if self.hold_seconds is not None and _leaves_connection_aborted(error):
                self._release_quietly()
            if _is_damage(error):
                self._mark_damaged(f"{self.path} is damaged ({error})")
                raise CorruptStoreError(self._damaged or "", path=str(self.path)) from error
            advice = f" {_ENVIRONMENT_ADVICE} Then log again." if _is_environment_error(error) else ""
            raise StoreError(f"the store could not apply a write: {error}.{advice}") from error

    # ------------------------------------------------------------ reads

    def read(self, query: str, **args: Any) -> Any:
        reader = self._readers.get(query)
        if reader is None:
            raise InvalidInputError(f"unknown store read {query!r}; known: {sorted(self._readers)}")
        with self._read_session() as session:
            try:
                return reader(session, **args)
            except MlmError:
                raise
            except (TypeError, KeyError, ValueError, AttributeError, *BAD_VALUES) as error:  # the caller's args
                raise InvalidInputError(f"bad arguments for store read {query!r}: {error}") from error
            except duckdb.Error as error:
                if _is_damage(error):  # the first failing read: no write may touch this file from now on
                    self._mark_damaged(f"{self.path} is damaged ({error})")
                    raise CorruptStoreError(self._damaged or "", path=str(self.path)) from error
                raise StoreError(f"the store could not answer {query!r}: {error}") from error

    @contextmanager
    def _read_session(self) -> Iterator[Session]:
        """Where reads run; the server's owner store overrides it with per-thread cursors."""
        if self._closed:
            raise StoreError("this store was closed; open a new one")
        if self._con is None and not self.path.exists() and not self._spooled_writes():
            # DESIGN.md §3: the store is created on first write, so a read of a store that does not exist
            # yet (``mlm runs ls`` in a fresh folder) answers from an empty schema and creates nothing.
            with self._lock:
                if self._con is None and not self.path.exists() and not self._spooled_writes():
                    yield Session(self._empty_schema(), self.directory, self.clock)
                    return
        with self._session() as session:
            yield session

    def _spooled_writes(self) -> bool:
        """Whether a process left writes in a spool (then the store exists: it is created to replay them)."""
        return self.spool_directory.is_dir() and any(self.spool_directory.glob("*.spool"))

    def _empty_schema(self) -> Any:
        """An in-memory database with every migration applied: what an empty store reads like."""
        if self._empty is None:
            con = quiet_connect.connect(":memory:")
            migrate(con)
            con.execute("SET enable_external_access = false")
            self._empty = con
        return self._empty

    def sql(self, statement: str, params: Sequence[Any] = (), *, max_rows: int = 10_000,
            timeout_s: float = 30.0) -> pa.Table:
        try:
            statements = duckdb.extract_statements(statement)
        except duckdb.Error as error:
            raise InvalidInputError(f"SQL does not parse: {error}") from error
        if len(statements) != 1:
            raise InvalidInputError("give exactly one SQL statement")
        if statements[0].type.name not in _READ_ONLY_STATEMENTS:
            raise PermissionDeniedError(
                f"raw SQL is read-only: {statements[0].type.name} statements are refused. "
                "Use the tracking API to change the store.")
        with self._read_session() as session:
            con = session.con
            check_statement(con, statement, self._relations(con))
            timer = threading.Timer(timeout_s, con.interrupt)
            timer.start()
            con.execute("BEGIN TRANSACTION READ ONLY")
            try:
                relation = con.sql(statement, params=list(params) or None)
                if relation is not None:
                    table = relation.limit(max_rows).to_arrow_table()
                else:
                    import pyarrow as pa

                    table = pa.table({})
            except duckdb.InterruptException as error:
                raise InvalidInputError(f"the query ran longer than {timeout_s:g} s and was stopped; "
                                        "narrow it (WHERE, LIMIT) or aggregate", timeout_s=timeout_s) from error
            except duckdb.Error as error:
                if _is_damage(error):
                    self._mark_damaged(f"{self.path} is damaged ({error})")
                    raise CorruptStoreError(self._damaged or "", path=str(self.path)) from error
                raise InvalidInputError(f"SQL error: {error}") from error
            finally:
                timer.cancel()
                con.execute("ROLLBACK")
            return table

    def _relations(self, con: Any) -> frozenset[str]:
        """The store's own tables and views, which raw SQL may read (they change only with migrations)."""
        cached: frozenset[str] | None = getattr(self, "_relations_cache", None)
        if cached is None:
            cached = store_relations(con)
            if cached:  # an empty answer (the file is not created yet) is asked again next time
                self._relations_cache = cached
        return cached

    # ------------------------------------------------------------ blobs

    def _blob_path(self, sha256: str) -> Path:
        _check_sha256(sha256)
        return self.artifacts_dir / sha256[:2] / sha256

    def _spool(self, chunks: Iterator[bytes], what: str, **details: Any) -> tuple[Path, str, int]:
        """Write ``chunks`` to a new temporary file among the artifacts; returns (path, sha256, size).

        Every step that can meet a full disk (the folder, the file, each write, the flush and the close,
        where a small buffered write first reaches the disk) is inside one guard: on ENOSPC or a quota the
        half-written file is removed and a ``StoreError`` says what to do.
        """
        digest = hashlib.sha256()
        size = 0
        temp: str | None = None
        try:
            self.artifacts_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.artifacts_dir, prefix=".blob-", delete=False) as handle:
                temp = handle.name
                for chunk in chunks:
                    digest.update(chunk)
                    handle.write(chunk)
                    size += len(chunk)
                handle.flush()
        except BaseException as error:
            if temp is not None:
                try:
                    os.unlink(temp)  # a half copy (disk full, interrupted) must not fill the disk further
                except OSError:
                    pass
            if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreError(f"no space left in {self.artifacts_dir} to store {what}. Free some disk space "
                                 "(or set MLM_STORE to a store on a larger disk) and try again; nothing was stored.",
                                 **details) from None
            raise
        return Path(temp), digest.hexdigest(), size

    def _take_in(self, temp: Path, sha256: str) -> None:
        """Move a verified temporary file to its content address (or drop it if the blob is already there)."""
        target = self._blob_path(sha256)
        try:
            if target.exists():
                temp.unlink(missing_ok=True)
                return
            self._upload(sha256, temp)  # with object storage, uploaded before it enters the cache
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        except OSError as error:
            temp.unlink(missing_ok=True)
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreError(f"no space left in {self.artifacts_dir} to store a blob. Free some disk space "
                                 "(or set MLM_STORE to a store on a larger disk) and try again; nothing was "
                                 "stored.") from None
            raise

    def put_blob(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self._blob_path(sha256).exists():
            temp, _, _ = self._spool(iter((data,)), f"{len(data):,} bytes")
            self._take_in(temp, sha256)
        return sha256

    def _upload(self, sha256: str, local: Path) -> None:
        """With object storage, upload before the blob enters the cache; a failure leaves no cached copy."""
        if self.remote is None:
            return
        try:
            self.remote.upload(sha256, local)
        except BaseException:
            local.unlink(missing_ok=True)
            raise

    def _cached(self, sha256: str) -> Path:
        """The local path of a blob, fetched from object storage (and verified) when not cached."""
        path = self._blob_path(sha256)
        if not path.is_file():
            if self.remote is None:
                raise NotFoundError(f"no blob {sha256} in {self.artifacts_dir}", sha256=sha256)
            self.remote.fetch(sha256, path)
        return path

    def put_file(self, path: Path) -> str:
        from mlm_jupyter.core.progress import progress

        path = Path(path)
        with open(path, "rb") as source, \
                progress(os.fstat(source.fileno()).st_size, f"storing {path.name}", unit="B") as bar:  # after 1 s

            def chunks() -> Iterator[bytes]:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    bar.update(len(chunk))
                    yield chunk

            temp, sha256, _ = self._spool(chunks(), str(path), path=str(path))
        self._take_in(temp, sha256)
        return sha256

    def adopt_file(self, path: Path, sha256: str) -> None:
        """Take in a file already written beside the artifacts whose sha256 the caller verified (the
        server's streamed uploads): a rename, not a second copy."""
        _check_sha256(sha256)
        self._take_in(Path(path), sha256)

    def open_blob(self, sha256: str) -> BinaryIO:
        return open(self._cached(sha256), "rb")

    def has_blob(self, sha256: str) -> bool:
        if self._blob_path(sha256).is_file():
            return True
        return self.remote is not None and self.remote.exists(sha256)

    def blob_path(self, sha256: str) -> Path:
        """Local path of a blob (embedded store only; fetched into the cache first), for streaming large files."""
        return self._cached(sha256)

    # ------------------------------------------------------------ lifecycle

    def describe(self) -> dict[str, Any]:
        return {"backend": "duckdb", "mode": "embedded" if self.hold_seconds is not None else "owner",
                "directory": str(self.directory), "database": str(self.path),
                "pending_journal": self.journal.count(),
                **(self.remote.describe() if self.remote is not None else {})}

    def before_close(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` first when this store is closed (a client's queued writes are stored then)."""
        self._close_hooks.append(weakref.WeakMethod(hook) if hasattr(hook, "__self__") else (lambda: hook))

    def close(self) -> None:
        for ref in list(getattr(self, "_close_hooks", ())):
            hook = ref()
            if hook is not None and not self._closed:
                try:
                    hook()
                except Exception:  # noqa: BLE001 -- what a hook could not store stays in its spool
                    log.warning("mlm-jupyter could not store queued writes before closing %s", self.path,
                                exc_info=True)
        with self._lock:
            self._release()
            if self._empty is not None:
                self._empty.close()
                self._empty = None
            self._closed = True
