"""REST handlers of model observation under ``/mlm/api/models/{name}/monitor/...`` and ``/mlm/api/monitor``.

Serving processes post inference batches and late labels as Arrow IPC
streams; the server writes them into the store's Parquet partitions with its
own window summaries. Reports, live performance and thresholds are the same
functions the Python API calls (``tracking.monitor_service``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa
from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.inference_batch import ID, LABEL, RESERVED_PREFIX, TIME
from mlm_jupyter.server.base import MlmHandler
from mlm_jupyter.server.views import jsonable
from mlm_jupyter.tracking import monitor_service
from mlm_jupyter.tracking.monitor_sink import LocalSink, table_from_ipc

__all__ = ["MonitorHistoryHandler", "MonitorLabelsHandler", "MonitorLogHandler", "MonitorPerformanceHandler", "MonitorReportHandler",
           "MonitorThresholdsHandler", "MonitoredVersionsHandler"]

_SINKS_KEY = "mlm_jupyter_monitor_sinks"
_ALLOWED_RESERVED = {TIME, ID, LABEL}
_sinks_lock = threading.Lock()


def _arrow_body(handler: MlmHandler) -> pa.Table:
    try:
        table = table_from_ipc(handler.request_body() or b"")
    except (pa.ArrowInvalid, OSError, ValueError) as error:
        raise InvalidInputError(f"the body must be an Arrow IPC stream: {error}") from error
    if TIME not in table.column_names or not pa.types.is_timestamp(table.column(TIME).type):
        raise InvalidInputError(f"the rows need a {TIME} timestamp column (Monitor.log adds it)")
    return table


def _resolve(handler: MlmHandler, name: str) -> Any:
    version = handler.get_query_argument("version", None)
    alias = handler.get_query_argument("alias", None)
    return handler.mlm.client.get_model_version(name, int(version) if version and version.isdigit() else None,
                                                alias=alias) if version is None or version.isdigit() else \
        _bad_version(version)


def _bad_version(version: str) -> Any:
    raise InvalidInputError(f"version must be a whole number, got {version[:20]!r}")


def _write_batch(handler: MlmHandler, name: str, table: pa.Table) -> int:
    model_version = _resolve(handler, name)
    sinks = handler.settings.setdefault(_SINKS_KEY, {})
    key = (model_version.name, int(model_version.version))
    with _sinks_lock:
        sink = sinks.get(key)
        if sink is None:
            from mlm_jupyter.tracking.monitor_summaries import writer_for

            directory = Path(handler.mlm.store.directory)
            writer = writer_for(directory, handler.mlm.client, model_version, 3600.0)
            writer.persist_every = 0.0  # the server writes summaries on every batch: nothing waits for an exit
            sink = LocalSink(directory, model_version.name, int(model_version.version), writer)
            sinks[key] = sink
    sink.write(table)
    return int(table.num_rows)


class MonitorLogHandler(MlmHandler):
    """POST an Arrow IPC stream of logged rows (``?version=N``); they join the model version's partitions."""

    max_body = "max_blob_bytes"

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        table = _arrow_body(self)
        odd = [c for c in table.column_names if c.startswith(RESERVED_PREFIX) and c not in _ALLOWED_RESERVED
               and not c.startswith(("__prediction", "__proba_"))]
        if odd:
            raise InvalidInputError(f"unknown reserved columns {odd[:5]}")
        rows = await self.mlm.run(_write_batch, self, name, table)
        self.send_json({"rows": rows})


class MonitorLabelsHandler(MlmHandler):
    """POST an Arrow IPC stream of late labels (``__id``, ``__label``, ``__time``)."""

    max_body = "max_blob_bytes"

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        table = _arrow_body(self)
        if set(table.column_names) != {ID, LABEL, TIME}:
            raise InvalidInputError(f"labels are exactly the columns {ID}, {LABEL} and {TIME}")

        def write() -> int:
            self.mlm.client.get_model(name)
            LocalSink(Path(self.mlm.store.directory), name, 1).write_labels(table)
            return int(table.num_rows)

        self.send_json({"rows": await self.mlm.run(write)})


def _report_arguments(handler: MlmHandler) -> tuple[str | None, float | None, Any]:
    """``reference``, ``end`` (epoch seconds) and ``thresholds`` (JSON) of a report or history request."""
    reference = handler.get_query_argument("reference", None)
    end = handler.get_query_argument("end", None)
    text = handler.get_query_argument("thresholds", None)
    try:
        return reference, float(end) if end else None, json.loads(text) if text else None
    except ValueError as error:
        raise InvalidInputError(f"thresholds must be JSON and end a number of seconds: {error}") from error


class MonitorReportHandler(MlmHandler):
    """GET the drift and skew report (``?version|alias, window, reference, end, thresholds, format=json|html``)."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        window = self.get_query_argument("window", "1d")
        reference, end_value, thresholds = _report_arguments(self)

        def build() -> Any:
            model_version = _resolve(self, name)
            return monitor_service.report(self.mlm.client, model_version, window=window, reference=reference,
                                          end=end_value, thresholds=thresholds,
                                          alias=self.get_query_argument("alias", None))

        report = await self.mlm.run(build)
        if self.get_query_argument("format", "json") == "html":
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            web.RequestHandler.finish(self, report.to_html())  # APIHandler.finish would force JSON's type
            return
        self.send_json(report.to_dict())


class MonitorHistoryHandler(MlmHandler):
    """GET drift per period (``?version|alias, window=1d, every=1h, reference, end, thresholds``), oldest first."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        window = self.get_query_argument("window", "1d")
        every = self.get_query_argument("every", "1h")
        reference, end_value, thresholds = _report_arguments(self)

        def build() -> Any:
            from mlm_jupyter.core.durations import parse_duration

            model_version = _resolve(self, name)
            windows = monitor_service.drift_history(self.mlm.client, model_version, window=window, every=every,
                                                    reference=reference, end=end_value, thresholds=thresholds)
            return {"schema": "mlm.drift_history/1", "model": model_version.name,
                    "version": int(model_version.version), "alias": self.get_query_argument("alias", None),
                    "every_seconds": parse_duration(every, "every"), "windows": jsonable(windows)}

        self.send_json(await self.mlm.run(build))


class MonitorPerformanceHandler(MlmHandler):
    """GET live metrics per period (``?version|alias, window, every``) from labels joined so far."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        window = self.get_query_argument("window", "1d")
        every = self.get_query_argument("every", None)

        def compute() -> Any:
            frame = monitor_service.performance(self.mlm.client, _resolve(self, name), window=window, every=every)
            if len(frame):
                frame["start"] = frame["start"].map(lambda t: t.isoformat())
            return {"periods": jsonable(frame.to_dict(orient="records"))}

        self.send_json(await self.mlm.run(compute))


class MonitorThresholdsHandler(MlmHandler):
    """GET the model's drift thresholds; PUT ``{"thresholds": {...}, "reason"}`` to change them."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        def read() -> Any:
            from mlm_jupyter.tracking.monitor_report import thresholds_for

            self.mlm.client.get_model(name)
            return {"name": name, "thresholds": thresholds_for(self.mlm.client, name).to_dict()}

        self.send_json(await self.mlm.run(read))

    @web.authenticated
    @authorized
    async def put(self, name: str) -> None:
        body = self.json_body()
        values = body.get("thresholds") or {}
        if not isinstance(values, dict):
            raise InvalidInputError('give {"thresholds": {"drift_share": 0.3, ...}, "reason": "..."}')
        self.send_json(await self.mlm.run(monitor_service.set_monitor_thresholds, self.mlm.client, name, values,
                                          body.get("reason")))


class MonitoredVersionsHandler(MlmHandler):
    """GET every monitored model version with its logged rows and last logged time."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_json({"versions": jsonable(await self.mlm.run(monitor_service.monitored_versions,
                                                                self.mlm.client))})
