"""Health of a model's aliased versions: the registry's drift badges.

``health(client, name)`` gives each aliased version a verdict (``ok``, ``drift``,
``skew``, ... or ``no data``) for its last window with logs; versions with no
logs cost one directory listing, and a version's verdict is computed once per
new batch of logs (cached on the rows and last time logged).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from mlm_jupyter.core.errors import MlmError

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["health"]

#: the length of the window a health badge speaks for (the monitor's default summary window)
HEALTH_WINDOW = 3600.0
_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat().replace("+00:00", "Z")


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
    from mlm_jupyter.tracking.monitor_report import history_record

    record = {**base, **history_record(result), "window": {"start": _iso(result.start), "end": _iso(result.end)}}
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
