"""REST handlers for reproduction: a run's reproduction verdicts and the cell-level diff of two runs' sessions."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.server import views
from mlm_jupyter.server.base import MlmHandler

__all__ = ["ReproductionsHandler", "SessionDiffHandler"]


def _reproductions_view(client: Any, run_id: str) -> dict[str, Any]:
    from mlm_jupyter.tracking.reproduce import reproductions

    run = client.get_run(run_id)  # 404 for an unknown run, as every run route
    return {"run_id": run.id, "verdict": run.tags.get("mlm.reproduced"),
            "reproductions": views.jsonable(reproductions(run.id, client=client))}


def _session_diff_view(client: Any, run_id: str, other_run_id: str, include_same: bool,
                       scope: str) -> dict[str, Any]:
    from mlm_jupyter.tracking.session_diff import session_diff

    return views.jsonable(session_diff(run_id, other_run_id, include_same=include_same, scope=scope,
                                       client=client))


class ReproductionsHandler(MlmHandler):
    """GET the reproductions of a run (newest first) and its latest verdict."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.send_json(await self.mlm.run(_reproductions_view, self.mlm.client, run_id))


class SessionDiffHandler(MlmHandler):
    """GET the cells added, removed and changed between two tracked runs' sessions, in execution order."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str, other_run_id: str) -> None:
        include_same = self.get_query_argument("include_same", "false").lower() in ("1", "true", "yes")
        scope = self.get_query_argument("scope", "dependencies")
        self.send_json(await self.mlm.run(_session_diff_view, self.mlm.client, run_id, other_run_id, include_same,
                                          scope))
