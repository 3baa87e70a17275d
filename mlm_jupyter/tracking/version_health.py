"""Health of a model's aliased versions, and drift per window over a range: what the views draw.

``health(client, name)`` gives each aliased version a verdict (``ok``, ``drift``,
``skew``, ... or ``no data``) for its last window with logs; versions with no
logs cost one directory listing, and a version's verdict is computed once per
new batch of logs (cached on the rows and last time logged). ``drift_windows``
cuts a range into at most ``max_windows`` periods and reports each one (the
existing per-window report, called per period).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.durations import parse_duration
from mlm_jupyter.core.errors import MlmError

if TYPE_CHECKING:
    from mlm_jupyter.core.drift_report import DriftReport
    from mlm_jupyter.core.model_entities import ModelVersion
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["drift_windows", "health", "window_record"]

#: the length of the window a health badge speaks for (the monitor's default summary window)
HEALTH_WINDOW = 3600.0
_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def window_record(report: DriftReport) -> dict[str, Any]:
    """One window of drift over time, as the drift view reads it."""
    return {"start": report.start, "end": report.end, "rows": report.rows, "verdict": report.verdict,
            "drift_share": report.drift_share if report.features else None,
            "dataset_drift": report.dataset_drift, "prediction_drift": report.prediction_drift,
            "skew_detected": report.skew_detected, "drifted_features": report.drifted_features[:50]}


def drift_windows(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d", end: Any = None,
                  reference: Any = None, max_windows: int = 12) -> list[dict[str, Any]]:
    """Drift per period over the last ``window`` before ``end``: at most ``max_windows`` periods, none shorter
    than an hour (the summaries' grain); periods without logs are left out."""
    from mlm_jupyter.tracking.monitor_service import report

    seconds = parse_duration(window)
    stop = float(end.timestamp()) if hasattr(end, "timestamp") else float(end or time.time())
    step = max(seconds / max(1, int(max_windows)), min(seconds, HEALTH_WINDOW))
    count = max(1, math.ceil(seconds / step - 1e-9))
    out = []
    for index in range(count):
        start = stop - seconds + index * step
        finish = min(stop, start + step)
        if finish <= start:
            continue
        result = report(client, model_version, window=finish - start, end=finish, reference=reference)
        if result.rows:
            out.append(window_record(result))
    return out


def _logged(client: MlmClient, name: str, version: int) -> dict[str, Any]:
    from mlm_jupyter.tracking.monitor_files import LogLayout
    from mlm_jupyter.tracking.monitor_window import logged_rows

    return logged_rows(LogLayout(client.store.directory), name, version)  # type: ignore[attr-defined]


def _version_health(client: MlmClient, name: str, version: int, aliases: list[str]) -> dict[str, Any]:
    from mlm_jupyter.tracking.monitor_service import report

    stats = _logged(client, name, version)
    base: dict[str, Any] = {"version": version, "aliases": aliases, "rows": int(stats["rows"]),
                            "last_logged": _iso(stats["last"])}
    if not stats["rows"] or stats["last"] is None:
        return {**base, "verdict": "no data", "window": None}
    key = (str(getattr(client.store, "directory", "")), name, version, stats["rows"], stats["last"])
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return {**hit, "aliases": aliases}
    stop = float(stats["last"]) + 1e-3
    try:
        result = report(client, client.get_model_version(name, version), window=HEALTH_WINDOW, end=stop)
    except MlmError as error:  # a reference that cannot be read: say so on the badge, do not fail the list
        return {**base, "verdict": "unknown", "error": error.message, "window": None}
    record = {**base, **window_record(result), "window": {"start": _iso(result.start), "end": _iso(result.end)}}
    record["verdict"] = result.verdict
    with _cache_lock:
        _cache[key] = record
        while len(_cache) > 256:
            _cache.popitem(last=False)
    return record


def health(client: MlmClient, name: str) -> dict[str, Any]:
    """``{"name", "versions": [{version, aliases, verdict, rows, last_logged, window, drift_share, ...}]}``
    for every version an alias points at (``verdict`` is ``no data`` when it has no logs)."""
    model = client.get_model(name)
    by_version: dict[int, list[str]] = {}
    for alias, version in sorted(model.aliases.items()):
        by_version.setdefault(int(version), []).append(alias)
    versions = [_version_health(client, model.name, version, aliases)
                for version, aliases in sorted(by_version.items(), reverse=True)]
    return {"name": model.name, "window_seconds": HEALTH_WINDOW, "versions": versions}
