"""Monitoring reads for any client: reports, live performance, monitored versions, thresholds.

A client whose store is the REST API of a server asks the server (which owns
the log files); any other reads the files under its store directory. The
server's handlers call these same functions with its own client.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote

import numpy as np

from mlm_jupyter.core.drift_report import DriftReport
from mlm_jupyter.core.durations import parse_duration
from mlm_jupyter.core.inference_batch import ID, LABEL, PREDICTION, TIME
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.monitor_files import LogLayout

if TYPE_CHECKING:
    import pandas as pd

    from mlm_jupyter.core.model_entities import ModelVersion
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["drift_history", "monitored_versions", "performance", "report", "set_monitor_thresholds"]


def _remote(client: MlmClient) -> Any:
    store = client.store
    return store if hasattr(store, "api_request") else None


def _route(model: str, tail: str) -> str:
    return f"models/{quote(model, safe='')}/monitor/{tail}"


def report(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d", reference: Any = None,
           end: Any = None, thresholds: Any = None, alias: str | None = None) -> DriftReport:
    """``build_report`` here, or on the server that owns the store."""
    remote = _remote(client)
    if remote is not None and (reference is None or isinstance(reference, str)):
        params = _query(model_version, window, reference, end, thresholds)
        data = remote.api_request("GET", _route(model_version.name, "report"), params=params).json()
        result = DriftReport.from_dict(data)
        return result if alias is None else DriftReport(**{**result.__dict__, "alias": alias})
    from mlm_jupyter.tracking.monitor_report import build_report

    return build_report(client, model_version, window=window, reference=reference, end=end, thresholds=thresholds,
                        alias=alias)


def _query(model_version: ModelVersion, window: Any, reference: Any, end: Any, thresholds: Any) -> dict[str, Any]:
    """The query string of a report or history request to the server."""
    params: dict[str, Any] = {"version": str(model_version.version), "window": str(window)}
    if reference is not None:
        params["reference"] = reference
    if end is not None:
        params["end"] = str(end.timestamp() if hasattr(end, "timestamp") else end)
    if thresholds is not None:
        params["thresholds"] = json.dumps(thresholds.to_dict() if hasattr(thresholds, "to_dict") else thresholds)
    return params


def drift_history(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d", every: Any = "1h",
                  reference: Any = None, end: Any = None, thresholds: Any = None,
                  alias: str | None = None) -> list[dict[str, Any]]:
    """``build_history`` here, or on the server that owns the store (``GET .../monitor/history``)."""
    remote = _remote(client)
    if remote is not None and (reference is None or isinstance(reference, str)):
        params = {**_query(model_version, window, reference, end, thresholds), "every": str(every)}
        data = remote.api_request("GET", _route(model_version.name, "history"), params=params).json()
        return list(data["windows"])
    from mlm_jupyter.tracking.monitor_report import build_history

    return build_history(client, model_version, window=window, every=every, reference=reference, end=end,
                         thresholds=thresholds, alias=alias)


def _files(pattern_dir: Path, pattern: str) -> list[str]:
    return [str(p) for p in pattern_dir.glob(pattern)] if pattern_dir.is_dir() else []


def _is_classification(labels: np.ndarray) -> bool:
    if labels.dtype.kind in "OUSb":
        return True
    if labels.dtype.kind in "iu":
        return len(np.unique(labels)) <= 50
    return bool(np.all(np.mod(labels, 1) == 0)) and len(np.unique(labels)) <= 20


def _metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    if not len(y_true):
        return {}
    if _is_classification(y_true):
        truth, guess = y_true.astype(str), y_pred.astype(str)
        out = {"accuracy": float(np.mean(truth == guess))}
        classes = np.unique(truth)
        if len(classes) <= 2 and len(classes):
            positive = sorted(np.unique(np.concatenate([truth, guess])))[-1]
            tp = float(np.sum((guess == positive) & (truth == positive)))
            fp = float(np.sum((guess == positive) & (truth != positive)))
            fn = float(np.sum((guess != positive) & (truth == positive)))
            out["precision"] = tp / (tp + fp) if tp + fp else 0.0
            out["recall"] = tp / (tp + fn) if tp + fn else 0.0
            out["f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        return out
    truth, guess = y_true.astype(np.float64), y_pred.astype(np.float64)
    error = guess - truth
    return {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2)))}


def performance(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d",
                every: Any = None, end: Any = None) -> pd.DataFrame:
    """Metrics per period from predictions joined with their labels (the latest label per id wins)."""
    import pandas as pd

    remote = _remote(client)
    if remote is not None:
        query = {"version": str(model_version.version), "window": str(window)}
        if every is not None:
            query["every"] = str(every)
        records = remote.api_request("GET", _route(model_version.name, "performance"), params=query).json()
        frame = pd.DataFrame(records["periods"])
        if len(frame):
            frame["start"] = pd.to_datetime(frame["start"], utc=True)
        return frame
    import duckdb

    seconds, period = parse_duration(window), parse_duration(every or "1h", "every")
    stop = float(end.timestamp()) if hasattr(end, "timestamp") else float(end or time.time())
    begin = stop - seconds
    layout = LogLayout(client.store.directory)  # type: ignore[attr-defined]
    base = layout.version_dir("inference", model_version.name, int(model_version.version))
    predictions = _files(base, "hour=*/*.parquet")
    labels = _files(layout.model_dir("labels", model_version.name), "*.parquet")
    training = {f"training_{k}": v for k, v in _training_metrics(client, model_version).items()}
    columns = ["start", "rows", "labelled"]
    if not predictions:
        return pd.DataFrame(columns=columns)
    con = duckdb.connect()
    try:
        stamp_low = dt.datetime.fromtimestamp(begin, dt.timezone.utc)
        stamp_high = dt.datetime.fromtimestamp(stop, dt.timezone.utc)
        sql = (f"SELECT epoch(p.{TIME}) AS t, p.{PREDICTION} AS y_pred, "
                 + (f"l.{LABEL} AS y_true " if labels else "NULL AS y_true ")
                 + f"FROM read_parquet(?, union_by_name = true) p "
                 + (f"LEFT JOIN (SELECT {ID}, arg_max({LABEL}, {TIME}) AS {LABEL} FROM read_parquet(?, "
                    f"union_by_name = true) GROUP BY {ID}) l ON p.{ID} = l.{ID} " if labels else "")
                 + f"WHERE p.{TIME} >= ? AND p.{TIME} < ?")
        params: list[Any] = [predictions, *([labels] if labels else []), stamp_low, stamp_high]
        rows = con.execute(sql, params).df()
    except duckdb.Error as error:
        if PREDICTION in str(error) or ID in str(error):
            return pd.DataFrame(columns=columns)  # logged without predictions or ids: nothing to score
        raise
    finally:
        con.close()
    out = []
    rows["period"] = np.floor((rows["t"].to_numpy(dtype=np.float64) - begin) / period).astype(np.int64)
    for index, group in rows.groupby("period", sort=True):
        known = group[group["y_true"].notna()]
        record: dict[str, Any] = {"start": dt.datetime.fromtimestamp(begin + int(index) * period, dt.timezone.utc),
                                  "rows": int(len(group)), "labelled": int(len(known))}
        record.update(_metrics(known["y_true"].to_numpy(), known["y_pred"].to_numpy()))
        record.update(training)
        out.append(record)
    frame = pd.DataFrame(out)
    if len(frame):
        frame["start"] = pd.to_datetime(frame["start"], utc=True)
    return frame


def _training_metrics(client: MlmClient, model_version: ModelVersion) -> dict[str, float]:
    if model_version.metrics:
        return {str(k): float(v) for k, v in model_version.metrics.items()}
    if not model_version.run_id:
        return {}
    try:
        return {str(k): float(v) for k, v in client.get_run(model_version.run_id).metrics.items()}
    except Exception:  # noqa: BLE001 -- the run may be gone; live metrics still stand on their own
        return {}


def monitored_versions(client: MlmClient) -> list[dict[str, Any]]:
    """Every model version with inference logs: rows summarised, last logged time, aliases."""
    remote = _remote(client)
    if remote is not None:
        return list(remote.api_request("GET", "monitor").json()["versions"])
    from mlm_jupyter.tracking.monitor_window import logged_rows

    layout = LogLayout(client.store.directory)  # type: ignore[attr-defined]
    out = []
    for name, version in layout.monitored_versions():
        stats = logged_rows(layout, name, version)
        try:
            aliases = list(client.get_model_version(name, version).aliases)
        except Exception:  # noqa: BLE001 -- logs of a model deleted from the registry are still listed
            aliases = []
        last = stats["last"]
        out.append({"model": name, "version": version, "aliases": aliases, "rows": stats["rows"],
                    "last_logged": dt.datetime.fromtimestamp(last, dt.timezone.utc).isoformat() if last else None})
    return out


def set_monitor_thresholds(client: MlmClient, name: str, thresholds: Mapping[str, Any] | None,
                           reason: str | None = None) -> dict[str, Any]:
    """Store drift thresholds for model ``name`` (validated; ``None`` or ``{}`` restores the defaults)."""
    from mlm_jupyter.core.drift import DriftThresholds
    from mlm_jupyter.tracking.runs import current_user

    checked = DriftThresholds().updated(thresholds or {})
    defaults = DriftThresholds().to_dict()
    changed = {k: v for k, v in checked.to_dict().items() if v != defaults[k]}
    result: dict[str, Any] = client.store.write(WriteBatch.of(Op("set_monitor_thresholds", {
        "name": name, "thresholds": changed, "user": current_user(), "reason": reason})))[0]
    return result
