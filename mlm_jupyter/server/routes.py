"""The whole REST API in one table: URL template -> handler.

Templates use OpenAPI's ``{name}`` syntax (``docs/openapi.yaml`` documents
the same paths; a test checks they match). ``{key}`` of a metric may hold
slashes; every other parameter is one path segment. Order matters: the
catch-all for unknown ``/mlm/api/`` paths comes last.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.utils import url_path_join

from mlm_jupyter.server import api_handlers as api
from mlm_jupyter.server import health_handlers as health
from mlm_jupyter.server import monitor_handlers as monitor
from mlm_jupyter.server import reproduction_handlers as reproduction
from mlm_jupyter.server import scan_handlers as scans
from mlm_jupyter.server import store_handlers as store

__all__ = ["ROUTES", "handlers", "template_to_regex"]

ROUTES: list[tuple[str, Any]] = [
    ("/mlm/api/version", api.VersionHandler),
    ("/mlm/api/status", api.StatusHandler),
    ("/mlm/api/experiments", api.ExperimentsHandler),
    ("/mlm/api/experiments/{experiment}", api.ExperimentHandler),
    ("/mlm/api/runs", api.RunsHandler),
    ("/mlm/api/runs/{run_id}", api.RunHandler),
    ("/mlm/api/runs/{run_id}/metrics", api.RunMetricsHandler),
    ("/mlm/api/runs/{run_id}/metrics/{key}", api.MetricHistoryHandler),
    ("/mlm/api/runs/{run_id}/reproductions", reproduction.ReproductionsHandler),
    ("/mlm/api/runs/{run_id}/session-diff/{other_run_id}", reproduction.SessionDiffHandler),
    ("/mlm/api/artifacts/{sha256}", api.ArtifactHandler),
    ("/mlm/api/compare", api.CompareHandler),
    ("/mlm/api/cells", api.CellsHandler),
    ("/mlm/api/lineage", api.LineageHandler),
    ("/mlm/api/models", api.ModelsHandler),
    ("/mlm/api/models/{name}", api.ModelHandler),
    ("/mlm/api/models/{name}/versions", api.ModelVersionsHandler),
    ("/mlm/api/models/{name}/versions/{version}", api.ModelVersionHandler),
    ("/mlm/api/models/{name}/history", api.ModelHistoryHandler),
    ("/mlm/api/models/{name}/aliases", api.ModelAliasesHandler),
    ("/mlm/api/models/{name}/scans", scans.ModelScansHandler),
    ("/mlm/api/models/{name}/versions/{version}/scan", scans.VersionScanHandler),
    # model observation
    ("/mlm/api/monitor", monitor.MonitoredVersionsHandler),
    ("/mlm/api/models/{name}/monitor/log", monitor.MonitorLogHandler),
    ("/mlm/api/models/{name}/monitor/labels", monitor.MonitorLabelsHandler),
    ("/mlm/api/models/{name}/monitor/report", monitor.MonitorReportHandler),
    ("/mlm/api/models/{name}/monitor/performance", monitor.MonitorPerformanceHandler),
    ("/mlm/api/models/{name}/monitor/history", monitor.MonitorHistoryHandler),
    ("/mlm/api/models/{name}/monitor/thresholds", monitor.MonitorThresholdsHandler),
    ("/mlm/api/models/{name}/monitor/health", health.MonitorHealthHandler),
    # the generic Store contract, for RestStore
    ("/mlm/api/store/write", store.StoreWriteHandler),
    ("/mlm/api/store/read/{query}", store.StoreReadHandler),
    ("/mlm/api/store/sql", store.StoreSqlHandler),
    ("/mlm/api/store/blobs/{sha256}", store.StoreBlobHandler),
    ("/mlm/api/store/describe", store.StoreDescribeHandler),
]
_MULTI_SEGMENT = {"key"}
_CATCH_ALL = ("/mlm/api/(.*)", api.UnknownRouteHandler)
HTTP_METHODS = ("get", "head", "post", "put", "delete", "patch")


def template_to_regex(template: str) -> str:
    """``/runs/{run_id}/metrics/{key}`` -> ``/runs/([^/]+)/metrics/(.+)``."""
    def group(match: re.Match[str]) -> str:
        return "(.+)" if match.group(1) in _MULTI_SEGMENT else "([^/]+)"

    return re.sub(r"\{(\w+)\}", group, template)


def methods_of(handler: type) -> list[str]:
    """The HTTP verbs a handler class itself defines."""
    return [m for m in HTTP_METHODS if any(m in vars(k) for k in handler.__mro__
                                           if k.__module__.startswith("mlm_jupyter"))]


def handlers(base_url: str) -> list[tuple[str, Any]]:
    """Tornado handler specs for ``base_url``."""
    table = [(url_path_join(base_url, template_to_regex(t)), h) for t, h in ROUTES]
    table.append((url_path_join(base_url, _CATCH_ALL[0]), _CATCH_ALL[1]))
    return table
