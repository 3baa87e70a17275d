"""Handlers of the model-scan routes under ``/mlm/api/models/`` (the sidebar's per-version scan verdicts)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.server import scan_views
from mlm_jupyter.server.base import MlmHandler

__all__ = ["ModelScansHandler", "VersionScanHandler"]


class ModelScansHandler(MlmHandler):
    """GET the latest scan verdict of every version of a model."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(scan_views.model_scans_view, self.mlm.client, name))


class VersionScanHandler(MlmHandler):
    """GET the latest full scan report of one version (by number or alias)."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        self.send_json(await self.mlm.run(scan_views.version_scan_view, self.mlm.client, name, version))
