"""REST views of model scans: each version's latest scan verdict, and one version's full report."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.server.views import jsonable
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["model_scans_view", "version_scan_view"]


def model_scans_view(client: MlmClient, name: str) -> dict[str, Any]:
    """``{"name", "versions": [{"version", "scan": {id, verdict, worst_severity, findings, checks, ...} | null}]}``."""
    return {"name": name, "versions": jsonable(client.store.read("model_scans", name=name))}


def version_scan_view(client: MlmClient, name: str, version: str) -> dict[str, Any]:
    """The latest scan report (``ScanReport.to_dict()``, docs/scan.md) of a version given by number or alias."""
    from mlm_jupyter.tracking.scan import version_scan

    found = client.get_model_version(name, int(version) if version.isdigit() else version)
    report = version_scan(client, found.name, found.version)
    if report is None:
        raise NotFoundError(f"{found.uri} was never scanned; run mlm.scan({found.uri!r}, X_test, y_test) or "
                            f"mlm scan {found.uri} --data ... --target ...", name=name, version=found.version)
    return {"name": found.name, "version": found.version, "report": jsonable(report.to_dict())}
