"""REST handler of the registry's health badges: ``GET /mlm/api/models/{name}/monitor/health``.

Each aliased version's verdict for its last window with logs (``tracking.version_health``);
``?version=N&history=1d`` adds that version's drift per period over the range (the drift view's
over-time chart).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.server.base import MlmHandler
from mlm_jupyter.server.views import jsonable

__all__ = ["MonitorHealthHandler"]


def _health_view(client: Any, name: str, version: str | None, history: str | None) -> dict[str, Any]:
    from mlm_jupyter.tracking import version_health

    view = version_health.health(client, name)
    if history:
        if version is None or not version.isdigit():
            raise InvalidInputError("history needs the version it is for: ?version=N&history=1d")
        model_version = client.get_model_version(name, int(version))
        view["history"] = version_health.drift_windows(client, model_version, window=history)
    return jsonable(view)


class MonitorHealthHandler(MlmHandler):
    """GET each aliased version's drift verdict for its last window (``no data`` without logs)."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        version = self.get_query_argument("version", None)
        history = self.get_query_argument("history", None)
        self.send_json(await self.mlm.run(_health_view, self.mlm.client, name, version, history))
