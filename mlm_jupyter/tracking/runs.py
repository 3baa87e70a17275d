"""Runs in the client: create and end runs, log params/metrics/tags/artifacts, search."""

from __future__ import annotations

import getpass
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from mlm_jupyter.core.entities import Experiment, Run
from mlm_jupyter.core.errors import (
    InvalidInputError,
    NotFoundError,
    ParamConflictError,
    PermissionDeniedError,
)
from mlm_jupyter.core.safe_files import artifact_files
from mlm_jupyter.core.validation import check_key, check_run_name, metric_value, param_text, run_status
from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.store.liveness import this_process
from mlm_jupyter.tracking.run_owner import run_owner
from mlm_jupyter.tracking.run_names import new_run_name

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from mlm_jupyter.tracking.metric_buffer import MetricBuffer

__all__ = ["RunsClient", "current_user", "default_source", "runs_frame", "search_frame"]


def current_user() -> str:
    """The JupyterHub user when there is one, else the OS user."""
    for variable in ("JUPYTERHUB_USER", "MLM_USER"):
        if os.environ.get(variable):
            return os.environ[variable]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def default_source() -> str:
    """What produced the run: the notebook, the script, or an interactive session."""
    if os.environ.get("JPY_SESSION_NAME"):
        return os.environ["JPY_SESSION_NAME"]
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path and not path.endswith(("ipykernel_launcher.py", "__main__.py")):
        return str(Path(path).resolve())
    return "ipython" if "IPython" in sys.modules else (sys.argv[0] or "python")


class RunsClient:
    """The runs part of ``MlmClient`` (see ``tracking.client``)."""

    store: Store
    buffer: MetricBuffer
    _last_steps: dict[tuple[str, str], int]
    _queued_runs: dict[str, dict[str, str]]

    def flush(self) -> None:  # pragma: no cover - provided by MlmClient
        raise NotImplementedError

    # ------------------------------------------------------------ experiments

    def create_experiment(self, name: str) -> str:
        """Create (or find) the experiment ``name``; returns its id."""
        check_key(name, "experiment")
        return str(self.store.write(WriteBatch.of(Op("create_experiment", {"name": name})))[0])

    def experiments(self) -> list[Experiment]:
        return [Experiment.from_record(r) for r in self.store.read("experiments")]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name``, or ``None`` (MLflow's lookup)."""
        return next((e for e in self.experiments() if e.name == name), None)

    def experiment_ids(self) -> dict[str, str]:
        """``{name: id}`` of every experiment, without the run counts ``experiments`` reads every run for."""
        try:
            rows = self.store.read("experiment_names")
        except InvalidInputError:  # a server from before this read: the full list has the same names
            return {e.name: e.id for e in self.experiments()}
        return {str(row["name"]): str(row["id"]) for row in rows}

    # ------------------------------------------------------------ run lifecycle

    def create_run(self, experiment: str | None = None, name: str | None = None, *,
                   tags: Mapping[str, Any] | None = None, parent_run_id: str | None = None,
                   source: str | None = None, owner: str | None = None, run_id: str | None = None) -> Run:
        """Start a new run in ``experiment`` and return it (status ``running``)."""
        if experiment is None:  # an empty name is a mistake to report, not a request for the default
            experiment = os.environ.get("MLM_EXPERIMENT") or "Default"
        check_key(experiment, "experiment")
        new_id = run_id is None  # an id made here: no point of this run can be stored before its creation
        run_id = run_id or uuid.uuid4().hex
        name = check_run_name(name) if name is not None else new_run_name()
        me = this_process()
        start = time.time()
        ops = [Op("create_run", {
            "run_id": run_id, "experiment": experiment, "name": str(name), "start_time": start,
            "user": current_user(), "parent_run_id": parent_run_id, "source": source or default_source(),
            "host": me.host, "pid": me.pid, "pid_start": me.started,
            "owner": owner or run_owner()})]
        if tags:
            ops.append(Op("set_tags", {"run_id": run_id, "tags": self._tag_texts(tags)}))
        if self.buffer.queues_writes and not _in_notebook():  # stored with the next flush (and spooled at once)
            check_usable = getattr(self.buffer.store, "check_usable", None)
            if check_usable is not None:  # a damaged store still fails start_run, not the exit
                check_usable()
            if new_id:  # its points follow it in the same queue: the store need not look for earlier ones
                ops[0] = Op("create_run", {**ops[0].args, "queued": True})
            self.buffer.queue(tuple(ops))
            self._queued_runs[run_id] = {}
        else:
            self.store.write(WriteBatch(tuple(ops)))
        return Run(id=run_id, name=str(name), experiment=experiment, status="running",
                   start_time=_utc(start), tags=self._tag_texts(tags or {}), parent_run_id=parent_run_id,
                   user=current_user())

    def queues_run(self, run_id: str) -> bool:
        """Whether this client queues the writes of ``run_id`` (a run it started on an embedded store)."""
        return run_id in self._queued_runs and self.buffer.queues_writes

    def end_run(self, run_id: str, status: str = "finished", reason: str | None = None) -> None:
        """Flush the run's metrics and mark it ``finished``, ``failed`` or ``killed`` (any case)."""
        status = run_status(status)
        op = Op("end_run", {"run_id": run_id, "status": status, "end_time": time.time(), "reason": reason})
        if run_id in self._queued_runs and self.buffer.queues_writes:
            self.buffer.queue((op,))
            return
        self.flush()
        self.store.write(WriteBatch.of(op))

    def reopen_run(self, run_id: str, *, name: str | None = None, tags: Mapping[str, Any] | None = None) -> None:
        """Make an ended run ``running`` again (resuming it), optionally renaming and tagging it."""
        ops = [Op("reopen_run", {"run_id": run_id})]
        if name is not None:
            ops.append(Op("rename_run", {"run_id": run_id, "name": str(name)}))
        if tags:
            ops.append(Op("set_tags", {"run_id": run_id, "tags": self._tag_texts(tags)}))
        self.store.write(WriteBatch(tuple(ops)))

    def rename_run(self, run_id: str, name: str) -> None:
        """Give run ``run_id`` a new name."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(f"a run name is a non-empty str, not {name!r:.40}")
        self.store.write(WriteBatch.of(Op("rename_run", {"run_id": run_id, "name": name})))

    def set_terminated(self, run_id: str, status: str = "finished") -> None:
        """MLflow's name for ``end_run`` (``"FINISHED"`` and friends are accepted)."""
        self.end_run(run_id, status)

    # ------------------------------------------------------------ params, tags

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.log_params(run_id, {check_key(key, "param"): value})  # checked first: a dict key is unhashable

    def log_params(self, run_id: str, params: Mapping[str, Any]) -> None:
        _require_mapping(params, "log_params", "params")
        texts = {check_key(k, "param"): param_text(v, k) for k, v in params.items()}
        if not texts:
            return
        known = self._queued_runs.get(run_id)
        if known is not None and self.buffer.queues_writes:
            for key, value in texts.items():  # params are immutable: refused now, as the store would
                if key in known and known[key] != value:
                    raise ParamConflictError(
                        f"param {key!r} of run {run_id} is already {known[key][:80]!r}; params are immutable. "
                        "Log the new value under another key or start a new run.", key=key)
            fresh = {k: v for k, v in texts.items() if k not in known}
            if fresh:
                self.buffer.queue((Op("log_params", {"run_id": run_id, "params": fresh}),))
                known.update(fresh)
            return
        self.store.write(WriteBatch.of(Op("log_params", {"run_id": run_id, "params": texts})))

    @staticmethod
    def _tag_texts(tags: Mapping[str, Any]) -> dict[str, str]:
        return {check_key(k, "tag"): param_text(v, k, "tag") for k, v in tags.items()}

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self.set_tags(run_id, {check_key(key, "tag"): value})  # checked first: a dict key is unhashable

    def set_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        _require_mapping(tags, "set_tags", "tags")
        op = Op("set_tags", {"run_id": run_id, "tags": self._tag_texts(tags)})
        if run_id in self._queued_runs and self.buffer.queues_writes:
            self.buffer.queue((op,))
            return
        self.store.write(WriteBatch.of(op))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.write(WriteBatch.of(Op("delete_tag", {"run_id": run_id, "key": key})))

    # ------------------------------------------------------------ metrics

    def _next_step(self, run_id: str, key: str, step: int | None) -> int:
        last = self._last_steps.get((run_id, key), -1)
        if step is None:
            step = last + 1
        elif not isinstance(step, int):
            try:
                whole = int(step)
                if isinstance(step, float) and whole != step:  # 1.5 would silently become step 1
                    raise ValueError(step)
            except (TypeError, ValueError, OverflowError):
                raise InvalidInputError(f"step of metric {key!r} must be an integer, got {step!r}") from None
            step = whole
        if not _MIN_STEP <= step <= _MAX_STEP:  # pyarrow's int64 would fail the whole buffered batch later
            raise InvalidInputError(f"step of metric {key!r} is {step}, outside the 64-bit integer range "
                                    f"({_MIN_STEP} .. {_MAX_STEP}); use a smaller step.", key=key)
        if step > last:
            self._last_steps[(run_id, key)] = step
        return step

    def log_metric(self, run_id: str, key: str, value: Any, step: int | None = None,
                   timestamp: float | None = None) -> None:
        """Queue one metric point; returns at once (see ``MetricBuffer``).

        ``step`` defaults to one past the last step logged for this key in
        this process (0 for the first point). NaN and infinities are stored.
        ``timestamp`` is epoch seconds; MLflow's milliseconds are recognised.
        """
        check_key(key, "metric")
        number = metric_value(value, key)
        self.buffer.append(run_id, key, self._next_step(run_id, key, step), number,
                           _epoch_seconds(timestamp))

    def log_metrics(self, run_id: str, metrics: Mapping[str, Any], step: int | None = None,
                    timestamp: float | None = None) -> None:
        _require_mapping(metrics, "log_metrics", "metrics")
        keys = [check_key(k, "metric") for k in metrics]
        values = [metric_value(v, k) for k, v in metrics.items()]
        steps = [self._next_step(run_id, k, step) for k in keys]
        self.buffer.extend(run_id, keys, steps, values, _epoch_seconds(timestamp))

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        """Log metrics, params and tags at once (MLflow's ``log_batch``).

        Each argument is a mapping ``{key: value}`` or a sequence of items with
        ``key`` and ``value`` (metrics may add ``step`` and MLflow's
        ``timestamp`` in milliseconds), such as MLflow's ``Metric``, ``Param``
        and ``RunTag``.
        """
        self.log_params(run_id, _pairs(params))
        if tags:
            self.set_tags(run_id, _pairs(tags))
        if isinstance(metrics, Mapping):
            self.log_metrics(run_id, metrics)
            return
        for item in metrics:
            _pairs([item])  # the same check: items need .key and .value
            stamp = getattr(item, "timestamp", None)
            self.log_metric(run_id, item.key, item.value, getattr(item, "step", None), stamp)

    def log_metric_batch(self, run_id: str, key: str, values: Sequence[float],
                         steps: Sequence[int] | None = None) -> None:
        """Write many points of one metric at once, synchronously (bulk import)."""
        import numpy as np
        import pyarrow as pa

        check_key(key, "metric")
        array = np.asarray(values, dtype=np.float64)
        step_array = np.arange(len(array), dtype=np.int64) if steps is None else np.asarray(steps, np.int64)
        if len(step_array) != len(array):
            raise InvalidInputError(f"metric {key!r}: {len(array)} values but {len(step_array)} steps")
        table = pa.table({"run_id": pa.array([run_id] * len(array), pa.string()),
                          "key": pa.array([key] * len(array), pa.string()),
                          "step": step_array, "value": array, "time": np.full(len(array), time.time())})
        self.store.write(WriteBatch.of(Op("log_metrics", {"points": table})))

    def import_runs(self, runs: Iterable[Mapping[str, Any]], *, batch_size: int = 5_000) -> dict[str, list[str]]:
        """Store whole runs in bulk (``mlm import``, seeding a store): thousands of runs a second.

        Each run is a mapping with ``experiment``, ``name``, ``status``
        (``finished`` by default), ``start_time`` and ``end_time`` (epoch
        seconds), ``params`` and ``tags`` (``{key: value}``), ``metrics``
        (``{key: value}`` for one point at step 0, or ``{key: [(step, value,
        time), ...]}``) and optionally ``run_id``, ``user``, ``source``,
        ``status_reason`` and ``parent_run_id``. Keys and values are checked
        as ``log_param``/``log_metric`` check them. A run whose id is already
        stored is left as it is (params are immutable) and reported under
        ``"skipped"``; returns ``{"imported": [...], "skipped": [...]}`` (run ids).
        """
        from mlm_jupyter.core.arrow_columns import table
        from mlm_jupyter.store.domains.run_import import PARAM_SCHEMA, RUN_SCHEMA
        from mlm_jupyter.store.domains.runs import METRIC_SCHEMA

        done: dict[str, list[str]] = {"imported": [], "skipped": []}
        chunk: list[Mapping[str, Any]] = []

        def store_chunk() -> None:
            columns: dict[str, list[Any]] = {f.name: [] for f in RUN_SCHEMA}
            params: dict[str, list[Any]] = {"run_id": [], "key": [], "value": []}
            tags: dict[str, list[Any]] = {"run_id": [], "key": [], "value": []}
            points: dict[str, list[Any]] = {f.name: [] for f in METRIC_SCHEMA}
            user = current_user()
            now = time.time()
            for record in chunk:
                _require_mapping(record, "import_runs", "run fields")
                run_id = str(record.get("run_id") or uuid.uuid4().hex)
                experiment = check_key(str(record.get("experiment") or "Default"), "experiment")
                start = float(record.get("start_time") or now)
                end = record.get("end_time")
                for name, value in (("run_id", run_id), ("experiment", experiment),
                                    ("name", str(record.get("name") or new_run_name())),
                                    ("status", run_status(str(record.get("status") or "finished"))),
                                    ("status_reason", record.get("status_reason")), ("start_time", start),
                                    ("end_time", None if end is None else float(end)),
                                    ("user_name", record.get("user") or user),
                                    ("parent_run_id", record.get("parent_run_id")),
                                    ("source", record.get("source") or "import"), ("host", None), ("pid", None),
                                    ("pid_start", None), ("owner", "import")):
                    columns[name].append(value)
                for target, field, what in ((params, "params", "param"), (tags, "tags", "tag")):
                    values = record.get(field) or {}
                    _require_mapping(values, "import_runs", field)
                    target["run_id"].extend([run_id] * len(values))
                    target["key"].extend([check_key(key, what) for key in values])
                    target["value"].extend([param_text(value, key, what) for key, value in values.items()])
                metrics = record.get("metrics") or {}
                _require_mapping(metrics, "import_runs", "metrics")
                for key, series in metrics.items():
                    check_key(key, "metric")
                    if isinstance(series, (list, tuple)):
                        rows = [(int(p[0]), metric_value(p[1], key), float(p[2]) if len(p) > 2 else start)
                                for p in series]
                    else:
                        rows = [(0, metric_value(series, key), end if end is not None else start)]
                    points["run_id"].extend([run_id] * len(rows))
                    points["key"].extend([key] * len(rows))
                    points["step"].extend([r[0] for r in rows])
                    points["value"].extend([r[1] for r in rows])
                    points["time"].extend([float(r[2]) for r in rows])
            op = Op("import_runs", {"runs": table(columns, RUN_SCHEMA), "params": table(params, PARAM_SCHEMA),
                                    "tags": table(tags, PARAM_SCHEMA), "points": table(points, METRIC_SCHEMA)})
            result = self.store.write(WriteBatch.of(op))[0] or {"skipped": []}
            skipped = set(result["skipped"])
            done["skipped"].extend(r for r in columns["run_id"] if r in skipped)
            done["imported"].extend(r for r in columns["run_id"] if r not in skipped)
            chunk.clear()

        for record in runs:
            chunk.append(record)
            if len(chunk) >= batch_size:
                store_chunk()
        if chunk:
            store_chunk()
        return done

    # ------------------------------------------------------------ artifacts

    def log_artifact(self, run_id: str, local_path: str | os.PathLike[str],
                     artifact_path: str | None = None) -> list[str]:
        """Store a file (or every file of a folder) with the run; returns the sha256s."""
        if not isinstance(local_path, (str, os.PathLike)):
            raise InvalidInputError(f"log_artifact takes the path of a file or folder, got a "
                                    f"{type(local_path).__name__}; save the object to a file first.")
        path = Path(local_path)
        files = artifact_files(path)  # refuses symlinks out of the folder and /proc-like files
        prefix = _artifact_prefix(artifact_path)
        ops, digests = [], []
        from mlm_jupyter.core.progress import progress

        # a folder counts its files (each large file also shows its own bytes, from the store)
        with progress(len(files), f"logging {path.name}", unit="file", enabled=None if len(files) > 1 else False
                      ) as bar:
            for file, relative in files:
                name = f"{prefix}/{relative}" if prefix else relative
                try:
                    sha256 = self.store.put_file(file)
                except PermissionError:
                    raise PermissionDeniedError(f"cannot log artifact {str(file)!r}: no permission to read it; "
                                                "fix its permissions (chmod u+r) and log it again.") from None
                digests.append(sha256)
                ops.append(Op("log_artifact", {"run_id": run_id, "path": name, "sha256": sha256,
                                               "size": _stored_size(self.store, sha256, file)}))
                bar.update(1)
        if ops:
            self.store.write(WriteBatch(tuple(ops)))
        return digests

    def log_text(self, run_id: str, text: str, artifact_file: str) -> str:
        """Store ``text`` as the artifact ``artifact_file``; returns its sha256."""
        if not isinstance(text, str):
            raise InvalidInputError(f"log_text stores a str, got a {type(text).__name__}; write bytes to a file "
                                    "and use mlm.log_artifact(path)")
        artifact_file = _artifact_prefix(artifact_file, "artifact_file")
        if not artifact_file:
            raise InvalidInputError("log_text needs a file name for the text, e.g. mlm.log_text(text, 'notes.txt')")
        data = text.encode("utf-8")
        sha256 = self.store.put_blob(data)
        self.store.write(WriteBatch.of(Op("log_artifact", {"run_id": run_id, "path": artifact_file,
                                                           "sha256": sha256, "size": len(data)})))
        return sha256

    def download_artifact(self, run_id: str, path: str, destination: str | os.PathLike[str]) -> Path:
        """Copy an artifact out of the store after checking its sha256."""
        run = self.get_run(run_id)
        for artifact in run.artifacts:
            if artifact.path == path:
                target = Path(destination)
                if target.is_dir():
                    target = target / Path(path).name
                target.write_bytes(self.store.read_blob(artifact.sha256))
                return target
        raise NotFoundError(f"run {run_id} has no artifact {path!r}")

    # ------------------------------------------------------------ reads

    def get_run(self, run_id: str) -> Run:
        """The run with its params, latest metrics, tags, inputs, artifacts and provenance."""
        self.flush()
        return Run.from_record(self.store.read("run", run_id=run_id))

    def get_metric_history(self, run_id: str, key: str, max_points: int | None = None) -> pd.DataFrame:
        """Points of ``key`` in ``run_id`` as a DataFrame (step, value, time).

        With ``max_points``, a long series is downsampled inside the store to
        at most that many points (each bucket's min and max, plus the first
        and last point); ``frame.attrs["count"]`` holds the stored total.
        """
        import pandas as pd

        self.flush()
        if max_points is None:
            table = self.store.read("metric_history", run_id=run_id, key=key)
            count = table.num_rows
        else:
            sampled = self.store.read("metric_history_sampled", run_id=run_id, key=key,
                                      max_points=int(max_points))
            table, count = sampled["points"], int(sampled["count"])
        frame = table.to_pandas()
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        frame.attrs["count"] = count
        return frame

    def search_runs(self, filter: str | None = None, experiment: str | Iterable[str] | None = None,
                    order_by: Sequence[str] | None = None, max_results: int = 1000,
                    offset: int = 0) -> pd.DataFrame:
        """Runs matching ``filter`` as a DataFrame, one row per run (like MLflow).

        Columns: ``run_id, experiment, name, status, start_time, end_time``,
        then ``params.*``, ``metrics.*`` (latest values) and ``tags.*``.
        """
        return search_frame(self.search_runs_table(filter, experiment, order_by, max_results, offset))

    def search_runs_table(self, filter: str | None = None, experiment: str | Iterable[str] | None = None,
                          order_by: Sequence[str] | None = None, max_results: int = 1000,
                          offset: int = 0) -> pa.Table:
        """``search_runs`` as an Arrow table (same columns and rows, before pandas), for Arrow or
        polars users and for views that reshape the columns: reshaping Arrow columns and converting
        once costs a fraction of reshaping a DataFrame. The total is ``table.schema.metadata[b"total"]``.
        """
        self.flush()
        experiments = [experiment] if isinstance(experiment, str) else (list(experiment) if experiment else None)
        result = self.store.read("search_runs", filter=filter, experiments=experiments,
                                 order_by=list(order_by or []), max_results=int(max_results), offset=int(offset),
                                 detail=False)  # the frame has no column for status_reason, source, ...
        return _runs_table(result)

    def runs_page(self, filter: str | None = None, experiment: str | Iterable[str] | None = None,
                  order_by: Sequence[str] | None = None, max_results: int = 50, offset: int = 0) -> dict[str, Any]:
        """One page of ``search_runs`` as plain data, for views: ``{"runs": [...], "total": n}``.

        Each run is ``{"id", "name", "status", "experiment", "start_time", "end_time", "user",
        "params", "metrics", "tags"}`` (epoch seconds, dicts of values); the same runs, order and
        total as ``search_runs`` with these arguments, read without pandas or Arrow (a view's first
        page in a fresh kernel does not wait for them to import). ``runs_frame`` makes the DataFrame.
        """
        self.flush()
        experiments = [experiment] if isinstance(experiment, str) else (list(experiment) if experiment else None)
        orders = [order_by] if isinstance(order_by, str) else list(order_by or [])
        page: dict[str, Any] = self.store.read("runs_page", filter=filter, experiments=experiments,
                                               order_by=orders, max_results=int(max_results),
                                               offset=int(offset))
        return page

    def count_runs(self, filter: str | None = None, experiment: str | None = None) -> int:
        result = self.store.read("search_runs", filter=filter, experiments=[experiment] if experiment else None,
                                 max_results=0)
        return int(result["total"])


def _in_notebook() -> bool:
    """In a notebook, run writes stay synchronous: a store failure is reported by the cell that caused it."""
    fluent = sys.modules.get("mlm_jupyter.tracking.fluent")
    return bool(fluent is not None and fluent._in_notebook())


_MAX_STEP = 2**63 - 1
_MIN_STEP = -(2**63)
_MILLISECONDS_FROM = 1e11  # as seconds that is the year 5138: such a timestamp is MLflow's milliseconds


def _epoch_seconds(timestamp: float | None) -> float:
    """Now, or ``timestamp`` in epoch seconds (MLflow passes milliseconds: those are divided by 1000)."""
    if timestamp is None:
        return time.time()
    try:
        value = float(timestamp)
    except (TypeError, ValueError):
        raise InvalidInputError(f"timestamp must be epoch seconds (a number), got {timestamp!r}") from None
    return value / 1000.0 if abs(value) >= _MILLISECONDS_FROM else value


def _pairs(items: Any) -> dict[str, Any]:
    """``{key: value}`` from a mapping or from items with ``key`` and ``value`` attributes."""
    if isinstance(items, Mapping):
        return dict(items)
    pairs = {}
    for item in items:
        if not hasattr(item, "key") or not hasattr(item, "value"):
            raise InvalidInputError(f"log_batch takes dicts {{name: value}} or items with .key and .value "
                                    f"(MLflow's Metric, Param, RunTag), got a {type(item).__name__}")
        pairs[item.key] = item.value
    return pairs


def _utc(epoch: float) -> Any:
    from mlm_jupyter.core.entities import to_datetime

    return to_datetime(epoch)


def _large_strings(array: Any) -> Any:
    """Strings as ``large_string``: pandas keeps its ``str`` columns that way, so a column
    that already is one converts without a copy (half the cost of ``to_pandas`` here)."""
    import pyarrow as pa

    return array.cast(pa.large_string()) if pa.types.is_string(array.type) else array


def _row_positions(long: Any, run_ids: Any) -> Any:
    """Each (run_id, key, value) row's position in ``run_ids``.

    The store sends ``run_id`` dictionary-encoded over the page's run ids, so
    the dictionary indices are the positions; any other input is looked up.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    column = long.column("run_id")
    if pa.types.is_dictionary(column.type):
        encoded = column.combine_chunks()
        if encoded.dictionary.equals(run_ids):
            return encoded.indices.to_numpy(zero_copy_only=False)
        column = encoded.dictionary_decode()
    return pc.index_in(column, value_set=run_ids).to_numpy(zero_copy_only=False)


def _wide_columns(long: Any, run_ids: Any, prefix: str) -> tuple[list[str], list[Any]]:
    """Pivot (run_id, key, value) rows into one Arrow column per key, aligned with ``run_ids``.

    A numpy grid of row numbers and a single Arrow ``take`` for every key at once,
    sliced into columns: a pandas pivot cost several times more and dominated
    search time over 10,000 runs. Runs that share one key list (a sweep's runs)
    get their grid from ``_shared_keys_grid`` without encoding every key.
    """
    import numpy as np
    import pyarrow as pa

    if long.num_rows == 0:
        return [], []
    values = _large_strings(long.column("value").combine_chunks())
    row_positions = _row_positions(long, run_ids)
    shared = _shared_keys_grid(long.column("key").combine_chunks(), row_positions, len(run_ids))
    if shared is not None:
        names, grid = shared
        taken = values.take(pa.array(grid))
    else:
        keys = long.column("key").combine_chunks().dictionary_encode()
        all_names = keys.dictionary.to_pylist()
        positions = np.full((len(all_names), len(run_ids)), -1, dtype=np.int64)
        positions[keys.indices.to_numpy(zero_copy_only=False), row_positions] = np.arange(len(values))
        order = sorted(range(len(all_names)), key=all_names.__getitem__)
        names = [all_names[i] for i in order]
        grid = positions[order].ravel()
        missing = grid < 0
        taken = values.take(pa.array(np.where(missing, 0, grid), mask=missing))
    size = len(run_ids)
    return [f"{prefix}.{name}" for name in names], [taken.slice(j * size, size) for j in range(len(names))]


def _shared_keys_grid(keys: Any, row_positions: Any, runs: int) -> tuple[list[str], Any] | None:
    """Sorted key names and the ``_wide_columns`` grid (key-major row numbers) when every run
    has the same keys in the same order, in one block of rows each; else ``None``.

    Checked on the raw key bytes and lengths with numpy, which is several times cheaper
    than dictionary-encoding every key of every run.
    """
    import numpy as np
    import pyarrow as pa

    total = len(keys)
    if runs == 0 or total == 0 or total % runs or keys.null_count:
        return None
    if pa.types.is_string(keys.type):
        offset_type: Any = np.int32
    elif pa.types.is_large_string(keys.type):
        offset_type = np.int64
    else:
        return None
    if row_positions.dtype.kind not in "iu":  # positions with gaps (nulls): the general path says what is wrong
        return None
    width = total // runs
    blocks = row_positions.reshape(runs, width)
    first = blocks[:, 0]
    if not (blocks == first[:, None]).all() or not (np.bincount(first, minlength=runs) == 1).all():
        return None  # a run's rows are split, or a run has no rows or two blocks
    size = np.dtype(offset_type).itemsize
    offsets = np.frombuffer(keys.buffers()[1], dtype=offset_type, count=total + 1, offset=keys.offset * size)
    lengths = np.diff(offsets).reshape(runs, width)
    if not (lengths == lengths[0]).all():
        return None
    if keys.buffers()[2] is None:  # every key empty: no data buffer to compare
        return None
    data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(runs, -1)
    if not (data == data[0]).all():
        return None
    names = keys.slice(0, width).to_pylist()
    if len(set(names)) != width:
        return None
    block_of_run = np.empty(runs, dtype=np.int64)
    block_of_run[first] = np.arange(runs)
    order = sorted(range(width), key=names.__getitem__)
    grid = (block_of_run[None, :] * width + np.asarray(order, dtype=np.int64)[:, None]).ravel()
    return [names[i] for i in order], grid


def _runs_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    return search_frame(_runs_table(result))


def search_frame(table: pa.Table) -> pd.DataFrame:
    """A search table (``search_runs_table``, or one shaped from it) as a DataFrame, ``attrs["total"]``
    read from its metadata (all matches)."""
    metadata = table.schema.metadata or {}
    frame = table.to_pandas(use_threads=False)  # threads cost more here
    frame.attrs["total"] = int(metadata.get(b"total", len(frame)))
    return frame


def _runs_table(result: Mapping[str, Any]) -> pa.Table:
    """The store's search result as ``search_runs``' columns: run fields, then ``params.*``,
    ``metrics.*`` and ``tags.*`` (sorted within each), the total in the schema metadata."""
    import pyarrow as pa
    import pyarrow.compute as pc

    runs = result["runs"]

    def utc(column: str) -> Any:
        micros = pc.multiply(runs.column(column).cast(pa.float64()), 1e6).cast(pa.int64(), safe=False)
        return micros.cast(pa.timestamp("us", tz="UTC"))

    names = ["run_id", "experiment", "name", "status", "start_time", "end_time", "user"]
    arrays = [_large_strings(runs.column("run_id")), _large_strings(runs.column("experiment")),
              _large_strings(runs.column("name")), _large_strings(runs.column("status")),
              utc("start_time"), utc("end_time"), _large_strings(runs.column("user_name"))]
    run_ids = runs.column("run_id").combine_chunks()
    for prefix in ("params", "metrics", "tags"):
        extra_names, extra_arrays = _wide_columns(result[prefix], run_ids, prefix)
        names += extra_names
        arrays += extra_arrays
    return pa.Table.from_arrays(arrays, names=names, metadata={"total": str(int(result["total"]))})


def runs_frame(runs: Sequence[Mapping[str, Any]], total: int | None = None) -> pd.DataFrame:
    """The DataFrame ``search_runs`` gives for these run objects (``RunsClient.runs_page``'s runs):
    same columns, order and dtypes; ``attrs["total"]`` is ``total`` (default: the number of runs)."""
    import pyarrow as pa

    base = {name: [run.get(key) for run in runs] for name, key in (
        ("run_id", "id"), ("experiment", "experiment"), ("name", "name"), ("status", "status"),
        ("start_time", "start_time"), ("end_time", "end_time"), ("user_name", "user"))}
    floats = ("start_time", "end_time")
    result: dict[str, Any] = {"runs": pa.table({name: pa.array(values, pa.float64() if name in floats else pa.string())
                                                for name, values in base.items()}),
                              "total": len(runs) if total is None else int(total)}
    for part, kind in (("params", pa.string()), ("metrics", pa.float64()), ("tags", pa.string())):
        items = [(run["id"], key, value) for run in runs for key, value in (run.get(part) or {}).items()]
        result[part] = pa.table({"run_id": pa.array([i[0] for i in items], pa.string()),
                                 "key": pa.array([i[1] for i in items], pa.string()),
                                 "value": pa.array([i[2] for i in items], kind)})
    return _runs_frame(result)


def _require_mapping(value: Any, function: str, what: str) -> None:
    """An ``InvalidInputError`` unless ``value`` is a mapping (a list of pairs failed with AttributeError)."""
    if type(value) is not dict and not isinstance(value, Mapping):
        raise InvalidInputError(f"{function} takes a dict of {what} ({{name: value}}), got a "
                                f"{type(value).__name__}; for a list of pairs pass dict(pairs).")


def _artifact_prefix(artifact_path: str | None, what: str = "artifact_path") -> str:
    """``artifact_path`` as a relative folder inside the run ('' for none); '..' parts are refused."""
    if artifact_path is None:
        return ""
    if not isinstance(artifact_path, str):
        raise InvalidInputError(f"{what} is a name inside the run's folder (a str), "
                                f"got a {type(artifact_path).__name__}")
    parts = [part for part in artifact_path.replace("\\", "/").split("/") if part not in ("", ".")]
    if ".." in parts:
        raise InvalidInputError(f"{what} {artifact_path!r} climbs out of the run's folder with '..'; "
                                "give a folder inside the run, such as 'plots'.")
    return "/".join(parts)


def _stored_size(store: Store, sha256: str, file: Path) -> int:
    """The size of what was stored: a file still being written has grown since it was read."""
    blob_path = getattr(store, "blob_path", None)  # embedded stores; over REST the file's size now
    if blob_path is not None:
        try:
            return int(blob_path(sha256).stat().st_size)
        except Exception:  # noqa: BLE001 -- fall back to the file's size
            pass
    return file.stat().st_size
