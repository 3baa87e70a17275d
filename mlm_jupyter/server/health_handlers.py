"""REST handler of the registry's health badges: ``GET /mlm/api/models/{name}/monitor/health``.

Each aliased version's verdict for its last window with logs (``tracking.version_health``); the
drift report it opens reads ``.../monitor/report``, ``.../monitor/history`` and ``.../monitor/performance``.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.server.base import MlmHandler
from mlm_jupyter.server.views import jsonable

__all__ = ["MonitorHealthHandler"]


def _health_view(client: Any, name: str) -> dict[str, Any]:
    from mlm_jupyter.tracking.version_health import health

    return jsonable(health(client, name))


class MonitorHealthHandler(MlmHandler):
    """GET each aliased version's drift verdict for its last window (``no data`` without logs)."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(_health_view, self.mlm.client, name))
