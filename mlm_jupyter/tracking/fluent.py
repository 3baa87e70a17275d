"""The fluent API: module-level functions that act on the active run.

``with mlm.start_run(...) as run:`` pushes a run on a stack; ``log_*`` calls
go to the run on top. Each thread has its own stack (as in MLflow), so two
threads that each start a run never log into each other's; a thread logs
into a run it was handed with ``with mlm.use_run(run):`` (or through the
explicit client, ``mlm.get_client().log_metric(run.id, ...)``). Nested runs
need ``nested=True``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from mlm_jupyter.core.entities import Run
from mlm_jupyter.core.errors import (
    InvalidInputError,
    NoActiveRunError,
    RunAlreadyActiveError,
    StoreError,
)
from mlm_jupyter.core.validation import check_key, check_run_name, run_status
from mlm_jupyter.store.exit_steps import at_exit
from mlm_jupyter.tracking.client import MlmClient
from mlm_jupyter.tracking.run_owner import run_owner

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ActiveRun", "active_experiment", "active_run", "end_run", "get_client", "get_metric_history", "get_run", "log_artifact",
    "log_metric", "log_metrics", "log_param", "log_params", "log_text", "search_runs", "set_client",
    "set_experiment", "set_tag", "set_tags", "start_run", "use_run",
]

_client: MlmClient | None = None
_client_lock = threading.Lock()
_local = threading.local()  # .stack: this thread's active runs, innermost last
_stacks: dict[int, list[Run]] = {}  # every thread's stack by thread id (the exit hook ends them all)
_started: list[str] = []  # ids of the runs start_run made in this process, in order (the kernel links them to cells)
_experiment: str | None = None
_provenance_workers: dict[str, threading.Thread] = {}
_cell_runs: set[str] = set()  # runs that a %%track cell started: a plain start_run() inside one nests
_untracked_cells = 0  # > 0 while a %%track body runs without its run (store unusable): log_* calls are dropped
_untracked_runs: set[str] = set()  # placeholder runs start_run() gave in a notebook whose store is unusable
_notebook_extensions = 0  # how many shells have %load_ext mlm_jupyter active (set_notebook_mode)
_warned: set[str] = set()  # store failures already reported to the notebook (once per kind and run)
log = logging.getLogger("mlm_jupyter")


def _stack() -> list[Run]:
    """This thread's stack of active runs."""
    try:
        return _local.stack  # type: ignore[no-any-return]
    except AttributeError:
        stack: list[Run] = []
        _local.stack = stack
        _stacks[threading.get_ident()] = stack
        return stack


def __getattr__(name: str) -> Any:
    if name == "_active":  # the kernel's %%track reads the stack of the thread running the cell
        return _stack()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_client() -> MlmClient:
    """The process's default client (created on first use, store resolved per DESIGN.md §3)."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = MlmClient()
    return _client


def set_client(client: MlmClient | None) -> None:
    """Use ``client`` for the fluent API (``None``: resolve again on next use)."""
    global _client
    _client = client


def set_experiment(name: str) -> None:
    """Runs started without ``experiment=`` go to ``name`` (``None``: back to the default experiment)."""
    global _experiment
    if name is not None:
        from mlm_jupyter.core.validation import check_key

        check_key(name, "experiment")  # now, not at the next start_run
    _experiment = name


def active_experiment() -> str | None:
    """The experiment ``set_experiment`` chose (``None``: runs go to ``MLM_EXPERIMENT`` or Default)."""
    return _experiment


@dataclass(frozen=True)
class ActiveRun(Run):
    """The run returned by ``start_run``; also a context manager that ends it."""

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        current = active_run()
        if current is None or current.id != self.id:
            return
        if exc_type is None:
            end_run("finished")
        else:  # an interrupt stops the run; any other exception fails it
            end_run("killed" if issubclass(exc_type, KeyboardInterrupt) else "failed",
                    reason=f"{exc_type.__name__}: {exc}")


def start_run(experiment: str | None = None, name: str | None = None, *, nested: bool = False,
              tags: Mapping[str, Any] | None = None, source: str | None = None,
              provenance: bool = True, run_name: str | None = None, run_id: str | None = None,
              parent_run_id: str | None = None) -> ActiveRun:
    """Start a run and make it active.

    Use it as a context manager: the run ends ``finished``, or ``failed`` when
    the block raises. Starting a run while another is active needs
    ``nested=True`` (the new run records its parent). With ``provenance``
    (the default) the git state and Python environment are recorded in a
    background thread, so the run starts at once; ``end_run`` waits for it.
    ``run_name`` is MLflow's spelling of ``name``. Inside a ``%%track`` cell,
    ``start_run()`` makes a child of the cell's run (no "already active").
    ``run_id`` resumes an existing run instead: it is ``running`` again until
    it ends (its ``tags`` are added, a new ``name`` renames it).
    ``parent_run_id`` makes the new run a child of that (ended or active) run.
    """
    if run_id is not None:
        return _resume_run(run_id, name if name is not None else run_name, tags, nested)
    if run_name is not None and name is not None and run_name != name:
        raise InvalidInputError("give the run name once: either name=... or run_name=..., not both")
    name = name if name is not None else run_name
    if name is not None:
        check_run_name(name)  # before anything starts: a bad name must not leave a run behind
    if experiment is not None:
        check_key(experiment, "experiment")
    _active = _stack()
    if _active and not nested and (_active[-1].id in _cell_runs or _active[-1].id == parent_run_id):
        nested = True
    if _active and not nested:
        raise RunAlreadyActiveError(
            f"run {_active[-1].name} ({_active[-1].id}) is still active. End it with mlm.end_run(), "
            "or pass nested=True to start a child run.", run_id=_active[-1].id)
    if experiment is None and _active:
        experiment = _active[-1].experiment  # a child run stays in its parent's experiment
    # The git state and environment are captured from now on, while the client opens the store (the
    # first start_run of a script imports DuckDB and opens the file meanwhile); stored once the run exists.
    pending = _PendingProvenance() if provenance else None
    try:
        client = get_client()
        run = client.create_run(experiment if experiment is not None else _experiment, name, tags=tags,
                                parent_run_id=parent_run_id or (_active[-1].id if _active else None), source=source)
    except BaseException as error:
        if pending is not None:
            pending.cancel()
        if not isinstance(error, StoreError) or not _in_notebook():
            raise
        return _start_untracked(experiment if experiment is not None else _experiment, name, error)
    active = ActiveRun(**{f: getattr(run, f) for f in run.__dataclass_fields__})
    _active.append(active)
    _started.append(run.id)
    if pending is not None:
        _provenance_workers[run.id] = pending.thread
        pending.record(client, run.id)
    return active


class _PendingProvenance:
    """A run's provenance: captured on a thread from ``start_run``'s first line, stored once the run exists."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._target: tuple[MlmClient, str] | None = None
        self.thread = threading.Thread(target=self._work, name="mlm-provenance", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            from mlm_jupyter.tracking.provenance import environment, git_state

            git_state()  # both are cached: the write below reuses them
            environment()
        except Exception:  # noqa: BLE001 -- the write below captures again and reports what fails
            pass
        self._ready.wait()
        if self._target is not None:
            _record_provenance(*self._target)

    def record(self, client: MlmClient, run_id: str) -> None:
        self._target = (client, run_id)
        self._ready.set()

    def cancel(self) -> None:
        self._ready.set()


def _resume_run(run_id: str, name: str | None, tags: Mapping[str, Any] | None, nested: bool) -> ActiveRun:
    if not isinstance(run_id, str) or not run_id:
        raise InvalidInputError(f"run_id is the id of an existing run (a str), not {run_id!r:.40}")
    _active = _stack()
    if _active and _active[-1].id == run_id:
        return ActiveRun(**{f: getattr(_active[-1], f) for f in _active[-1].__dataclass_fields__})
    if _active and not nested and _active[-1].id not in _cell_runs:
        raise RunAlreadyActiveError(
            f"run {_active[-1].name} ({_active[-1].id}) is still active. End it with mlm.end_run() before "
            f"resuming run {run_id}, or pass nested=True.", run_id=_active[-1].id)
    client = get_client()
    client.reopen_run(run_id, name=name, tags=tags)  # NotFoundError names an unknown id
    run = client.get_run(run_id)
    active = ActiveRun(**{f: getattr(run, f) for f in run.__dataclass_fields__})
    _active.append(active)
    return active


def set_notebook_mode(on: bool) -> None:
    """Called by ``%load_ext``/``%unload_ext mlm_jupyter``: while on, store failures never fail a cell."""
    global _notebook_extensions
    _notebook_extensions = max(_notebook_extensions + (1 if on else -1), 0)


def _in_notebook() -> bool:
    """In a kernel (or an IPython with ``%load_ext mlm_jupyter``): a store failure must not fail the cell."""
    return (_notebook_extensions > 0 or run_owner().startswith("kernel:")
            or _in_kernel())


def _start_untracked(experiment: str | None, name: str | None, error: StoreError) -> ActiveRun:
    """A placeholder run: the block runs, its ``log_*`` calls are dropped, ``end_run`` forgets it."""
    import uuid

    from mlm_jupyter.core.entities import to_datetime

    print(f"mlm: the run could not start ({error}); the code runs untracked and its mlm.log_* calls are "
          "dropped.", file=sys.stderr)
    placeholder = ActiveRun(id=f"untracked-{uuid.uuid4().hex}", name=name or "untracked",
                            experiment=experiment or "Default", status="running",
                            start_time=to_datetime(time.time()))
    _untracked_runs.add(placeholder.id)
    _stack().append(placeholder)
    return placeholder


def _store_failed(what: str, error: StoreError) -> None:
    """In a notebook, report a store failure once per kind and run instead of failing the cell."""
    if not _in_notebook():
        raise error
    _active = _stack()
    kind = f"{what}:{_active[-1].id if _active else ''}:{type(error).__name__}"
    if kind not in _warned:
        _warned.add(kind)
        print(f"mlm: {what} was not recorded ({error}); the cell carries on.", file=sys.stderr)


def started_run_ids() -> list[str]:
    """Ids of the runs ``start_run`` made in this process, oldest first (a live list: slice it)."""
    return _started


def _record_provenance(client: MlmClient, run_id: str) -> None:
    try:
        client.log_provenance(run_id)
    except Exception:  # provenance is a bonus; the run goes on without it
        log.warning("mlm-jupyter could not record git/environment provenance for run %s", run_id, exc_info=True)
    finally:
        _provenance_workers.pop(run_id, None)  # done: nobody needs to wait for it


def active_run() -> Run | None:
    """The run that this thread's ``log_*`` calls go to, or ``None``."""
    _active = _stack()
    return _active[-1] if _active else None


@contextmanager
def use_run(run: Run | str) -> Iterator[Run]:
    """Make ``run`` (a ``Run`` or a run id) this thread's active run for the block, without ending it.

    The active run is per thread: a worker thread that should log into a run
    started elsewhere is handed the run and wraps its work in
    ``with mlm.use_run(run):``. The run stays open when the block ends (its
    owner ends it), and the thread's previous active run comes back.
    """
    if isinstance(run, str):
        run = get_client().get_run(run)
    if not isinstance(run, Run):
        raise InvalidInputError(f"use_run takes a Run (from mlm.start_run) or a run id, got a {type(run).__name__}")
    stack = _stack()
    stack.append(run)
    try:
        yield run
    finally:
        for i in range(len(stack) - 1, -1, -1):  # a run started inside the block and left open stays
            if stack[i] is run:
                del stack[i]
                break


@contextmanager
def untracked_cell() -> Iterator[None]:
    """While a ``%%track`` body runs untracked (its run could not start), ``log_*`` calls are dropped.

    The user was told the cell runs untracked; their ``mlm.log_metric`` lines must not fail it.
    """
    global _untracked_cells
    _untracked_cells += 1
    try:
        yield
    finally:
        _untracked_cells -= 1


def _record(what: str, write: Callable[[str], Any]) -> None:
    """Apply ``write`` to the active run, unless it is dropped; in a notebook a store failure is reported once."""
    if _dropped():
        return
    run_id = _run_id()
    try:
        write(run_id)
    except StoreError as error:
        _store_failed(what, error)


def _dropped() -> bool:
    _active = _stack()
    if _active:
        return _active[-1].id in _untracked_runs
    return _untracked_cells > 0


def _run_id() -> str:
    _active = _stack()
    if not _active:
        raise NoActiveRunError(
            "no active run: wrap your code in `with mlm.start_run():` (or use %%track in a notebook).")
    return _active[-1].id


def end_run(status: str = "finished", reason: str | None = None) -> None:
    """End this thread's active run (no-op when none is active)."""
    _active = _stack()
    if not _active:
        return
    status = run_status(status)  # a bad status must not drop the run from the stack
    run = _active.pop()
    _cell_runs.discard(run.id)
    if run.id in _untracked_runs:  # a placeholder: nothing was stored, nothing to end
        _untracked_runs.discard(run.id)
        return
    # The run's git state and environment are captured in the background since it started. A queued
    # run's provenance follows its end in the queue (reads through the client wait for it); a run
    # written synchronously is ended after its provenance is stored.
    if not get_client().queues_run(run.id):
        _wait_for_provenance(run.id)
    try:
        get_client().end_run(run.id, status, reason)
    except StoreError as error:
        _store_failed(f"the end of run {run.id}", error)


def log_param(key: str, value: Any) -> None:
    _record("log_param", lambda run_id: get_client().log_param(run_id, key, value))


def log_params(params: Mapping[str, Any]) -> None:
    _record("log_params", lambda run_id: get_client().log_params(run_id, params))


def log_metric(key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
    """Queue a metric point for the active run (never blocks on disk)."""
    if not _dropped():
        get_client().log_metric(_run_id(), key, value, step, timestamp)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    if not _dropped():
        get_client().log_metrics(_run_id(), metrics, step)


def set_tag(key: str, value: Any) -> None:
    _record("set_tag", lambda run_id: get_client().set_tag(run_id, key, value))


def set_tags(tags: Mapping[str, Any]) -> None:
    _record("set_tags", lambda run_id: get_client().set_tags(run_id, tags))


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> list[str]:
    """Store a file or folder with the active run (content-addressed by sha256)."""
    if _dropped():
        return []
    return get_client().log_artifact(_run_id(), local_path, artifact_path)  # the client checks the type


def log_text(text: str, artifact_file: str) -> str:
    if _dropped():
        return ""
    return get_client().log_text(_run_id(), text, artifact_file)


def get_run(run_id: str) -> Run:
    _wait_for_provenance(run_id)
    return get_client().get_run(run_id)


def search_runs(filter: str | None = None, experiment: str | Sequence[str] | None = None,
                order_by: str | Sequence[str] | None = None, max_results: int = 1000, *,
                filter_string: str | None = None, experiment_names: str | Sequence[str] | None = None,
                experiment_ids: str | Sequence[str] | None = None, search_all_experiments: bool = False,
                output_format: str = "pandas") -> Any:
    """Search runs with the run search language; returns one DataFrame row per run.

    Without ``experiment`` every experiment is searched, even after
    ``set_experiment`` (a notebook compares across experiments); MLflow's
    habit of searching only the active experiment is kept by
    ``mlm_jupyter.mlflow.search_runs``. MLflow's spellings work too: ``filter_string=``, ``experiment_names=``,
    ``experiment_ids=`` (our experiment ids, or names), ``order_by="metrics.acc desc"``
    as one string, ``search_all_experiments`` (every experiment is searched
    unless some are named), and ``output_format="list"`` for a list of ``Run``.
    """
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format is 'pandas' (a DataFrame) or 'list' (of Run), not {output_format!r}")
    client = get_client()
    frame = client.search_runs(filter, experiment, order_by, max_results, filter_string=filter_string,
                               experiment_names=experiment_names, experiment_ids=experiment_ids)
    if output_format == "list":
        return [client.get_run(run_id) for run_id in frame["run_id"]]
    return frame


def get_metric_history(run_id: str, key: str) -> pd.DataFrame:
    return get_client().get_metric_history(run_id, key)


def _in_kernel() -> bool:
    """True inside a running ipykernel (looked up, never imported: tracking stays Jupyter-free)."""
    import sys

    app = getattr(sys.modules.get("ipykernel.kernelapp"), "IPKernelApp", None)
    try:
        return bool(app is not None and app.initialized())
    except Exception:  # noqa: BLE001 -- at exit, anything may be half torn down
        return False


def _end_runs_at_exit() -> None:
    status, reason = "finished", None
    if run_owner().startswith("kernel:") or _in_kernel():
        # a kernel that exits with a run open was shut down or restarted: the run did not finish
        # (with or without %load_ext mlm_jupyter, which sets MLM_RUN_OWNER)
        status, reason = "killed", "the kernel was shut down or restarted while the run was open"
    # provenance first: its write and the runs' ends must not race for the store while the process exits
    _wait_for_provenance(timeout=_PROVENANCE_EXIT_SECONDS, at_exit=True)
    for ident, stack in list(_stacks.items()):
        while stack:
            try:
                _end_on_stack(stack, status, reason)
            except Exception:
                stack.clear()
        _stacks.pop(ident, None)


at_exit(_end_runs_at_exit, order=10)  # first: the runs' ends join the queues the next steps store
_PROVENANCE_EXIT_SECONDS = 10.0


def _end_on_stack(stack: list[Run], status: str, reason: str | None) -> None:
    """End the innermost run of another thread's stack (at exit: the threads are gone or daemons)."""
    run = stack.pop()
    _cell_runs.discard(run.id)
    if run.id in _untracked_runs:
        _untracked_runs.discard(run.id)
        return
    get_client().end_run(run.id, status, reason)


def _wait_for_provenance(run_id: str | None = None, timeout: float = 60.0, at_exit: bool = False) -> None:
    """Wait for the provenance capture of ``run_id`` (every run: ``None``), at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for rid, worker in list(_provenance_workers.items()):
        if run_id is not None and rid != run_id:
            continue
        worker.join(timeout=max(deadline - time.monotonic(), 0))
        if not worker.is_alive():
            _provenance_workers.pop(rid, None)
        elif at_exit:
            print(f"mlm: the git/environment provenance of run {rid} was still being captured at exit "
                  f"(after {timeout:g} s); the run is stored without it.", file=sys.stderr)
