"""Per-cell capture: the pre/post-run-cell hooks that turn every execution into a queued cell record.

The hooks do almost nothing, on purpose: the pre hook notes the start time;
the post hook notes the outcome, keeps a reference to the values of the
names the source mentions (one regular expression, no parsing) and hands the
cell to the capture's background thread (``cell_worker``). That thread
parses the source (``core.cell_names``, cached per source), matches it to a
notebook cell (one ``stat`` of the notebook), fingerprints the data values
the cell touched (cached per live object, see ``value_cache``; values the
engine cannot hash are screened out first, see ``admission``) and appends a
record to the client's queue, which another thread writes in batches.

The thread works only in pauses (no cell has run for ``IDLE_GAP`` seconds),
since any Python work next to a running cell takes the GIL from it: values
are hashed in the pause after their cell (for a notebook run top to bottom,
after its last cell, or 10 s later at most). So that a later cell changing a
value in place meanwhile does not move its state, the post hook keeps each
value's state at the cell's end (``cell_end_values``: a shallow Copy-on-Write
copy of a pandas frame, a copy of a small numpy array, a witness of a big one,
a ``stat`` of a file). ``%%track`` runs wait for the queue and hash their own
inputs and outputs.

In a kernel this module is imported when the capture starts, in the first
pause (``early_cells`` notes the cells before that). It imports nothing
heavy: the tracking client and the fingerprint engine are imported by the
background thread, and the first cells' records simply wait in the queue.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mlm_jupyter.kernel.cell_end_values import CHANGED, resolve
from mlm_jupyter.kernel.cell_worker import CellWorker
from mlm_jupyter.kernel.early_cells import (
    MAX_ANALYZED_SOURCE,
    CellEvent,
    CellNotes,
    EarlyCells,
    PendingCell,
    error_fields,
    fluent_module,
    rehash_limit,
    runs_started,
    values_at_cell_end,
)
from mlm_jupyter.kernel.failsafe import FailSafe
from mlm_jupyter.kernel.notebook_file import NotebookFile
from mlm_jupyter.kernel.session import KernelSession, notebook_path

if TYPE_CHECKING:  # imported where used: on the background thread, not when the capture starts
    from mlm_jupyter.core.cell_names import CellNames
    from mlm_jupyter.core.notebook_cells import CodeCell
    from mlm_jupyter.core.staleness import ExecutedCell
    from mlm_jupyter.kernel.value_cache import CachedFingerprint, FingerprintCache

__all__ = ["CellCapture", "HistoryEntry", "PendingCell", "default_fingerprinter", "source_digest"]

_MISSING = object()
log = logging.getLogger("mlm_jupyter.kernel")

Fingerprinter = tuple[Callable[[Any], Any], Callable[[Any], bool]]


def source_digest(source: str) -> str:
    """The content address of a cell source (sha256 of its UTF-8 bytes; same as ``tracking.cells``)."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


def default_fingerprinter() -> Fingerprinter | None:
    """The data layer's engine as ``(fingerprint, is_supported)``, or ``None`` if it is not installed."""
    try:
        from mlm_jupyter.core import fingerprint as engine
        from mlm_jupyter.core.fingerprint_strings import use_polars_only_if_imported
    except ImportError:
        return None
    use_polars_only_if_imported()

    def digest_only(obj: Any) -> Any:
        return engine.fingerprint(obj, profile=False)

    return digest_only, engine.is_supported


def _numpy_imported() -> bool:
    """Whether the notebook imported numpy (fully): pyarrow, which we need, imports it, and numpy's import
    adds warnings filters and modules that a notebook without it would not have."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and not getattr(getattr(numpy, "__spec__", None), "_initializing", False)


# Plain classes with __slots__, not dataclasses: these are made for every cell; each object counts towards the
# notebook's next garbage collection (docs/kernel-capture.md).

class HistoryEntry:
    """One execution of this session, kept in memory for staleness verdicts."""

    __slots__ = ("cell_id", "digests", "execution_count", "names", "record_id", "seq", "source", "start_time",
                 "success")

    def __init__(self, record_id: str, seq: int, execution_count: int | None, cell_id: str | None, source: str,
                 names: CellNames, start_time: float, success: bool, digests: dict[str, str] | None = None) -> None:
        self.record_id = record_id
        self.seq = seq
        self.execution_count = execution_count
        self.cell_id = cell_id
        self.source = source
        self.names = names
        self.start_time = start_time
        self.success = success
        self.digests = {} if digests is None else digests


class _Match:
    __slots__ = ("by_frontend", "cell")

    def __init__(self, cell: CodeCell | None, by_frontend: bool) -> None:
        self.cell = cell
        self.by_frontend = by_frontend


def _nbytes(value: Any) -> int:
    """Size in memory of an array-like value (0 when unknown)."""
    size = getattr(value, "nbytes", None)  # numpy
    if isinstance(size, int):
        return size
    estimated = getattr(value, "estimated_size", None)  # polars
    if callable(estimated):
        try:
            return int(estimated())
        except Exception:  # noqa: BLE001 - a size we cannot read is treated as small
            return 0
    if hasattr(value, "element_size") and hasattr(value, "nelement"):  # torch
        return int(value.element_size() * value.nelement())
    return 0


class CellCapture(CellNotes):
    """Records every cell of one IPython shell.

    Args:
        shell: the IPython shell (``user_ns`` is read for data values).
        client: ``fn() -> MlmClient`` (looked up per use, so tests can swap clients).
        fingerprinter: ``(fingerprint, is_supported)``, a function returning one (called on the
            background thread), or ``None`` to disable data fingerprints.
        failsafe: where failures go.
        on_ready: called on the background thread once the heavy parts are imported.
        early: the hooks that noted the cells before this capture existed (``early_cells``): their
            cells are queued first, in order, and a cell running now is this capture's current cell.
            The caller holds ``early.lock``, so no hook notes a cell while they are handed over.
    """

    def __init__(self, shell: Any, client: Callable[[], Any],
                 fingerprinter: Fingerprinter | Callable[[], Fingerprinter | None] | None,
                 failsafe: FailSafe, on_ready: Callable[[], None] | None = None,
                 early: EarlyCells | None = None) -> None:
        self.shell = shell
        self.client = client
        self.failsafe = failsafe
        self.session = KernelSession()
        self.notebook: NotebookFile | None = None
        self.set_notebook(notebook_path(getattr(shell, "user_ns", None), cwd=early.cwd if early is not None else None))
        self._fingerprinter = fingerprinter
        self._on_ready = on_ready
        self.values: FingerprintCache | None = None
        self.is_supported: Callable[[Any], bool] | None = None
        self.data_enabled = fingerprinter is not None
        self.skipped_large = 0
        self.unsupported: dict[str, int] = {}  # what per-cell capture left alone, by type, with counts
        self.history: list[HistoryEntry] = []
        self.digests: dict[str, str] = {}
        self.current: PendingCell | None = None
        self._depth = 0
        self._names: OrderedDict[str, CellNames] = OrderedDict()
        self._sources: dict[str, str] = {}  # one copy per distinct source for the whole session
        self._last_index: int | None = None
        self._session_sent = False
        self.recorded = 0
        self.lock = threading.RLock()  # the background thread holds it per event; %%track after drain()
        self._created_at, self._created = time.time(), time.perf_counter()
        self._runs_at_load = runs_started()  # runs made before capture are no cell's
        self._pandas_seen = "pandas" in sys.modules
        # frames kept at cell ends and not hashed yet, so a later cell naming an unchanged one shares its copy
        self._recent_frames: dict[int, tuple[Any, Any]] = {}
        self.hook_times: deque[tuple[str, float]] = deque(maxlen=100_000)  # (hook, seconds): the cell-path cost
        self._outbox: list[tuple[dict[str, Any], str, list[dict[str, Any]]]] = []  # records not yet given to the client
        self._outbox_since: float | None = None
        self._last_cell_end = time.monotonic()
        # cells noted before this capture existed wait from the load, not from now: started by the extension's
        # watchdog during a long cell, their records are made at once, as a capture made at the load would have
        loaded_at = None if early is None else time.monotonic() - early.waited()
        self.worker = CellWorker(self._setup, self._process, self.failsafe.report, setup_when=_numpy_imported,
                                 on_idle=self._ship_when_idle, may_work=self._kernel_idle,
                                 max_defer=self.SHIP_MAX_AGE, started_at=loaded_at)
        self.worker.start()
        if early is not None:
            self._take_over(early, loaded_at)

    def _take_over(self, early: EarlyCells, loaded_at: float | None) -> None:
        """Continue where the early hooks left off: their state, then their cells (waiting since the load), in
        order."""
        self.current, self._depth = early.current, early._depth
        self._created_at, self._created, self._runs_at_load = early._created_at, early._created, early._runs_at_load
        self.session.started_at = early._created_at  # its first cell began at the load, before this capture
        self._pandas_seen = self._pandas_seen or early._pandas_seen
        self._last_cell_end = early._last_cell_end
        self._recent_frames = early.recent_frames
        self.hook_times.extend(early.hook_times)
        self.worker.dropped_data += early.dropped_data
        for event in early.events:
            if not self.data_enabled:
                event.values = None
            self.worker.submit(event, now=bool(event.started_runs), at=loaded_at)
        early.events = []

    # ------------------------------------------------------------ setup

    def set_notebook(self, path: str | None) -> None:
        self.notebook = NotebookFile(path) if path else None
        self._session_sent = False

    @property
    def notebook_path(self) -> str | None:
        return self.notebook.path if self.notebook else None

    def follow_rename(self, client: Any) -> str | None:
        """If the notebook file is gone, ask the store where it was renamed to (the server records renames)."""
        path = self.notebook_path
        if path is None or os.path.exists(path):
            return None
        current = client.store.read("notebook_rename", path=path)
        if current and os.path.exists(current):
            self.set_notebook(current)
            return str(current)
        return None

    IDLE_GAP = 0.25  # seconds without a running cell before the background thread works (see cell_worker)

    def _kernel_idle(self) -> float | None:
        """Seconds until no cell will have run for ``IDLE_GAP`` seconds (0: now; ``None``: a cell runs):
        background work then takes nothing from a cell."""
        if self.current is not None:
            return None
        return max(0.0, self.IDLE_GAP - (time.monotonic() - self._last_cell_end))

    def _setup(self) -> None:
        """On the background thread: import the tracking client and the fingerprint engine (yielding to
        cells between the steps)."""
        try:
            fingerprinter = self._fingerprinter() if callable(self._fingerprinter) else self._fingerprinter
        except Exception as error:  # noqa: BLE001 -- no data fingerprints, records still go
            self.failsafe.report("fingerprint engine", error)
            fingerprinter = None
        with self.lock:
            if fingerprinter is not None:
                from mlm_jupyter.kernel.value_cache import FingerprintCache

                self.values = FingerprintCache(fingerprinter[0])
                self.is_supported = fingerprinter[1]
            self.data_enabled = fingerprinter is not None
        self.worker.wait_turn(time.monotonic())
        import mlm_jupyter.tracking.cells  # noqa: F401 -- the heavy part

        if self._on_ready is not None:
            self._on_ready()

    def drain(self, timeout: float | None = 60.0) -> bool:
        """Wait until every finished cell is recorded (history, data fingerprints) and handed to the client."""
        done = self.worker.drain(timeout)
        with self.lock:
            self.ship()
        return done

    # ------------------------------------------------------------ shipping records to the client

    SHIP_IDLE = 0.3  # seconds without a running cell before queued records go to the store
    SHIP_MAX_AGE = 10.0  # ... or once the oldest waited this long (a kernel killed outright loses no more)
    SHIP_MAX_COUNT = 500

    def ship(self) -> None:
        """Hand the queued records to the client (which writes them in batches); call with ``lock`` held."""
        if not self._outbox:
            return
        outbox, self._outbox, self._outbox_since = self._outbox, [], None
        client = self.client()
        if not self._session_sent:
            client.record_session(self.session.to_record(self.notebook_path))
            self._session_sent = True
        for record, source, data in outbox:
            client.record_cell(record, source, data)

    def _ship_when_idle(self) -> float | None:
        """On the background thread between events: store records while no cell runs (or when they are old).

        Opening the store and writing is the heaviest part of recording; a notebook run top to bottom
        never waits for it, and a person between two cells never notices it.
        """
        if not self._outbox:
            return None
        now = time.monotonic()
        idle_for = None if self.current is not None else now - self._last_cell_end
        age = now - (self._outbox_since if self._outbox_since is not None else now)
        idle = idle_for is not None and idle_for >= self.SHIP_IDLE
        if idle or age >= self.SHIP_MAX_AGE or len(self._outbox) >= self.SHIP_MAX_COUNT:
            with self.lock:
                self.ship()
            if idle:  # write now, in the pause, rather than on the client's timer during the next cell
                self._store_quietly()
            return None
        waits = [self.SHIP_MAX_AGE - age] + ([self.SHIP_IDLE - idle_for] if idle_for is not None else [])
        return max(0.01, min(waits))  # (a cell that ends wakes the thread sooner)

    def _store_quietly(self) -> None:
        fluent = fluent_module()
        client = getattr(fluent, "_client", None) if fluent is not None else None
        if client is None:
            return
        try:
            client.flush_cells()
        except Exception:  # noqa: BLE001 -- the records stay queued; the client's thread retries and reports
            log.debug("mlm-jupyter: storing cell records at a pause failed", exc_info=True)

    # ------------------------------------------------------------ hooks (on the cell path: keep them tiny)

    def pre_run_cell(self, info: Any) -> None:
        began = time.perf_counter()
        try:
            self._pre_run_cell(info)
        finally:
            self.hook_times.append(("pre", time.perf_counter() - began))

    def post_run_cell(self, result: Any) -> None:
        began = time.perf_counter()
        try:
            self._post_run_cell(result)
        finally:
            self.hook_times.append(("post", time.perf_counter() - began))

    def _pre_run_cell(self, info: Any) -> None:
        self._cell_begins(info)

    def _post_run_cell(self, result: Any) -> None:
        noted = self._cell_ended(result)
        if noted is None:
            return
        pending, duration, error, started = noted
        # a cell that started runs with mlm.start_run() is linked to them at once (the run shows its code)
        self.worker.submit(CellEvent(pending, duration, error, result.execution_count, started,
                                     self._values_of(pending.source)), now=bool(started))

    def _values_of(self, source: str) -> dict[str, Any] | None:
        """The values bound to every identifier the source mentions (a superset of what it reads and writes)."""
        if not self.data_enabled or len(source) > MAX_ANALYZED_SOURCE:
            return None
        if self.worker.busy():
            self.worker.dropped_data += 1
            return None
        return values_at_cell_end(self.shell.user_ns, source, self._recent_frames)

    # ------------------------------------------------------------ background thread

    def _process(self, event: CellEvent) -> None:
        self._recent_frames.clear()  # hashed from here on: later cells make their own copies (and hold no frame)
        with self.lock:
            if event.started_runs and event.pending.run_id is None:
                event.pending.run_id = event.started_runs[0]
            self.failsafe.call("cell record", self.record, event.pending, event.duration, event.error,
                               event.execution_count, values=event.values)
            event.values = None  # release the user's objects now
            # shipped (and written) in the pause that follows, or after SHIP_MAX_AGE: a killed kernel loses little
            for run_id in event.started_runs:  # mlm.start_run() in a plain cell: the cell made these runs
                self.failsafe.call("cell link of a run", self.link_run, run_id, event.pending)

    def link_run(self, run_id: str, pending: PendingCell) -> None:
        """Tie a run made by ``mlm.start_run()`` in a plain cell to that cell's record (its code,
        notebook and cell: the comparison's code diff and the sidebar's jump to the cell use it)."""
        self.ship()  # the link's write carries the queued records with it
        if pending.cell_id:
            cell_key = f"id:{pending.cell_id}"
        else:
            matched = self.match(pending.source, None, None)
            cell_key = (f"id:{matched.cell.cell_id}" if matched.cell is not None and matched.cell.cell_id
                        else f"source:{source_digest(pending.source)}")
        self.client().link_run_cell(run_id, pending.record_id, self.session.id, cell_key,
                                    notebook=self.notebook_path, history=[h.record_id for h in self.history],
                                    provenance=False)

    # ------------------------------------------------------------ records

    def names(self, source: str, digest: str) -> CellNames:
        cached = self._names.get(digest)
        if cached is not None:
            self._names.move_to_end(digest)
            return cached
        from mlm_jupyter.core.cell_names import CellNames, analyze

        names = analyze(source) if len(source) <= MAX_ANALYZED_SOURCE else CellNames(parsed=False)
        self._names[digest] = names
        if len(self._names) > 512:
            self._names.popitem(last=False)
        return names

    def match(self, source: str, cell_id: str | None, after: int | None) -> _Match:
        index = self.notebook.index() if self.notebook else None
        if index is None:
            return _Match(None, False)
        cell = index.match(source, cell_id, after)
        return _Match(cell, bool(cell is not None and cell_id and cell.cell_id == cell_id))

    def record(self, pending: PendingCell, duration: float | None, error: BaseException | tuple[str, str] | None,
               execution_count: int | None, *, final: bool = True,
               values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Queue the record of ``pending``; returns it.

        ``values`` are the cell's names and values as the post hook saw them
        (``None``: no data fingerprints). The ``%%track`` magic sends a
        provisional record (``final=False``) before its run ends, so the run's
        cell is complete at once; the final one follows under the same id
        (no data fingerprints, no history entry for the provisional one).
        """
        source = pending.source
        digest = source_digest(source)
        names = self.names(source, digest)
        matched = self.match(source, pending.cell_id, self._last_index)
        if matched.cell is not None and final:
            self._last_index = matched.cell.index
        cell_id = pending.cell_id or (matched.cell.cell_id if matched.cell else None)
        data = self.capture_data(pending.record_id, names, values) if final and values is not None else []
        failure = error_fields(error)
        record = {
            "id": pending.record_id, "session_id": self.session.id, "seq": len(self.history),
            "execution_count": execution_count, "cell_id": cell_id,
            "cell_id_source": "frontend" if pending.cell_id else ("matched" if matched.cell else None),
            "notebook": self.notebook_path, "notebook_index": matched.cell.index if matched.cell else None,
            "source_sha256": digest, "start_time": pending.start_time, "duration": duration,
            "success": failure is None,
            "error_type": failure[0] if failure is not None else None,
            "error_message": failure[1] if failure is not None else None,
            "names_read": sorted(names.reads), "names_written": sorted(names.writes), "run_id": pending.run_id,
        }
        self._outbox.append((record, source, data))
        if self._outbox_since is None:
            self._outbox_since = time.monotonic()
        if not final:  # %%track: its run links this record now
            self.ship()
        if final:
            self.history.append(HistoryEntry(
                record_id=pending.record_id, seq=int(record["seq"]), execution_count=execution_count,
                cell_id=pending.cell_id, source=self._sources.setdefault(digest, source), names=names,
                start_time=pending.start_time,
                success=failure is None, digests={d["name"]: d["digest"] for d in data}))
            self.recorded += 1
        return record

    # ------------------------------------------------------------ data

    def _supported(self, value: Any) -> bool:
        if isinstance(value, str):
            return 0 < len(value) < 4096 and "\n" not in value and os.path.isfile(value)
        if self.is_supported is None or not self.is_supported(value):
            return False
        if isinstance(value, os.PathLike):
            return os.path.isfile(value)
        return not isinstance(value, (bytes, bytearray, memoryview))

    def _left_alone(self, reason: str) -> None:
        """Note a value per-cell capture does not fingerprint: counted per type, logged once at debug level."""
        count = self.unsupported.get(reason, 0)
        self.unsupported[reason] = count + 1
        if count == 0:
            log.debug("mlm-jupyter: per-cell capture does not fingerprint %s values", reason)

    def fingerprint_value(self, value: Any, *, per_cell: bool = False) -> CachedFingerprint | None:
        """The value's fingerprint; ``per_cell`` skips what plain cells should not hash.

        numpy, polars and torch values have no safe cheap change check, so a
        plain cell that touches them hashes them again (about 0.4 s per GB).
        Above ``MLM_CELL_REHASH_LIMIT`` bytes (default 256 MiB; 0 = no limit)
        plain cells skip them; ``%%track`` runs and ``mlm.log_input`` always
        fingerprint them in full. Plain cells also skip values the engine
        cannot hash or could only hash by importing a library (``admission``).
        """
        if self.values is None or not self._supported(value):
            return None
        from mlm_jupyter.kernel.admission import unsupported
        from mlm_jupyter.kernel.value_cache import kind_of

        if per_cell and not isinstance(value, str) and self.is_supported is not None:
            reason = unsupported(value, self.is_supported)
            if reason is not None:
                self._left_alone(reason)
                return None
        if per_cell and kind_of(value) is None and _nbytes(value) > rehash_limit():
            self.skipped_large += 1
            return None
        try:
            return self.values.get(value)
        except Exception as error:
            from mlm_jupyter.core.errors import UnsupportedTypeError

            if isinstance(error, UnsupportedTypeError):  # known limits of the engine: not a failure to report
                self._left_alone(f"{type(value).__module__}.{type(value).__qualname__} ({error.args[0][:80]})")
                return None
            raise

    def fingerprint_names(self, names: Iterable[str], *, per_cell: bool = False,
                          values: Mapping[str, Any] | None = None) -> dict[str, CachedFingerprint]:
        """Fingerprints of the supported values bound to ``names`` (in ``values``, else the user namespace)."""
        found: dict[str, CachedFingerprint] = {}
        if not self.data_enabled:
            return found
        namespace = values if values is not None else self.shell.user_ns
        for name in sorted(names):
            value = resolve(namespace.get(name, _MISSING))
            if value is _MISSING:
                continue
            if value is CHANGED:  # a later cell changed it in place before the pause it was to be hashed in
                self._left_alone("values changed in place by a later cell before they were hashed")
                continue
            fp = self.failsafe.call("data fingerprint", self.fingerprint_value, value, per_cell=per_cell)
            if fp is not None:
                found[name] = fp
        return found

    def capture_data(self, record_id: str, names: CellNames,
                     values: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        rows = []
        for name, fp in self.fingerprint_names(names.reads | names.writes, per_cell=True, values=values).items():
            previous = self.digests.get(name)
            self.digests[name] = fp.digest
            rows.append({"record_id": record_id, "name": name, "role": "write" if name in names.writes else "read",
                         "kind": fp.kind, "digest": fp.digest, "changed": previous != fp.digest,
                         "rehashed": fp.rehashed})
        return rows

    # ------------------------------------------------------------ staleness

    def staleness(self, target_source: str, target_cell_id: str | None, target_names: CellNames,
                  start_time: float) -> list[str]:
        """The verdict for a tracked cell about to end (see ``core.staleness``).

        A cell the saved notebook does not hold, that ran after the notebook was
        last saved, is a cell not saved yet (a new notebook), not a deleted one.
        """
        from mlm_jupyter.core.staleness import ExecutedCell, NotebookCell, verdict

        index = self.notebook.index() if self.notebook else None
        if index is None:
            return []
        saved_at = self.notebook.mtime if self.notebook else None
        notebook = [NotebookCell(writes=self.names(c.source, source_digest(c.source)).writes) for c in index.cells]
        executed: list[ExecutedCell] = []
        last: int | None = None
        for entry in self.history:
            cell, edited = self._rematch(index, entry.source, entry.cell_id, last, entry.start_time, saved_at)
            if cell is not None:
                last = cell.index
            executed.append(ExecutedCell(label=f"[{entry.execution_count}]",
                                         notebook_index=cell.index if cell else None,
                                         reads=entry.names.reads, writes=entry.names.writes, edited=edited,
                                         unsaved=cell is None and (saved_at is None or saved_at < entry.start_time)))
        cell, _ = self._rematch(index, target_source, target_cell_id, last, start_time, saved_at)
        target = ExecutedCell(label="this cell", notebook_index=cell.index if cell else None,
                              reads=target_names.reads, writes=target_names.writes)
        return verdict(executed, target, notebook)

    @staticmethod
    def _rematch(index: Any, source: str, cell_id: str | None, after: int | None, ran_at: float,
                 saved_at: float | None) -> tuple[CodeCell | None, bool]:
        from mlm_jupyter.core.notebook_cells import normalize_source

        cell = index.match(source, cell_id, after)
        if cell is None:
            return None, False
        if normalize_source(cell.source) == normalize_source(source):
            return cell, False
        # matched by id with another source: edited after it ran, if the file was saved after it ran
        return cell, saved_at is not None and saved_at > ran_at
