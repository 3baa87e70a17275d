"""Handlers of the public REST API under ``/mlm/api/`` (for the sidebar and other UIs).

Each handler only parses the request, calls a view over ``MlmClient`` in the
thread pool, and sends JSON; the routes themselves are listed in ``routes``.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter import __version__
from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.server import comparison, features, views
from mlm_jupyter.server.base import MlmHandler
from mlm_jupyter.server.blobs import check_sha256, stream_blob
from mlm_jupyter.server.identity import request_identity

API_VERSION = 1


class VersionHandler(MlmHandler):
    """GET the extension's version (the sidebar compares it with its own)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.mlm  # noqa: B018 -- a server whose store failed to open answers 503 with the reason
        self.send_json({"version": __version__, "api": API_VERSION})


class StatusHandler(MlmHandler):
    """GET the owning store's description and counts."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        counts = await self.mlm.run(self.mlm.store.read, "counts")
        self.send_json({"version": __version__, "api": API_VERSION, "store": views.jsonable(self.mlm.store.describe()),
                        "counts": counts})


class ExperimentsHandler(MlmHandler):
    """GET experiments with their run counts."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_json(await self.mlm.run(views.experiments_view, self.mlm.client))


class ExperimentHandler(MlmHandler):
    """GET one experiment (by name or id) with its run count."""

    @web.authenticated
    @authorized
    async def get(self, experiment: str) -> None:
        self.send_json(await self.mlm.run(views.experiment_view, self.mlm.client, experiment))


class RunsHandler(MlmHandler):
    """GET a page of runs matching ``filter`` (the run search language), ordered, with the total."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        order_by = [part.strip() for value in self.get_query_arguments("order_by")  # bare attributes parse too
                    for part in value.split(",") if part.strip()]
        page = await self.mlm.run(
            views.runs_page_view, self.mlm.client, experiment=self.get_query_argument("experiment", None) or None,
            filter=self.get_query_argument("filter", None), order_by=order_by,
            offset=self.int_arg("offset", 0), limit=self.int_arg("limit", 100, maximum=self.mlm.limits.max_page))
        self.send_json(page)


class RunHandler(MlmHandler):
    """GET one run with everything recorded about it."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.send_json(await self.mlm.run(views.run_view, self.mlm.client, run_id))


class RunMetricsHandler(MlmHandler):
    """GET a run's metric keys with their latest values."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        self.send_json(await self.mlm.run(views.run_metrics_view, self.mlm.client, run_id))


class MetricHistoryHandler(MlmHandler):
    """GET a metric's points, downsampled to ``max_points`` when given."""

    @web.authenticated
    @authorized
    async def get(self, run_id: str, key: str) -> None:
        max_points = self.int_arg("max_points", None, minimum=1, maximum=self.mlm.limits.max_points)
        self.send_json(await self.mlm.run(views.metric_points_view, self.mlm.client, run_id, key, max_points))


class ArtifactHandler(MlmHandler):
    """GET an artifact's bytes by sha256 (content address only)."""

    @web.authenticated
    @authorized
    async def get(self, sha256: str) -> None:
        await stream_blob(self, check_sha256(sha256))


class CompareHandler(MlmHandler):
    """GET the comparison of ``runs=a,b,...`` (the first is the baseline)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        run_ids = list(dict.fromkeys(  # runs=a,b (also run_ids= / ids=, repeated or comma-separated)
            part.strip() for name in ("runs", "run_ids", "ids") for value in self.get_query_arguments(name)
            for part in value.split(",") if part.strip()))
        if not run_ids:
            raise InvalidInputError("give the runs to compare: ?runs=<id>,<id>")
        self.send_json(await self.mlm.run(comparison.compare_view, self.mlm.client, run_ids))


class CellsHandler(MlmHandler):
    """GET cell execution history of a notebook or kernel session."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_json(await self.mlm.run(
            features.cells_view, self.mlm.client, notebook=self.get_query_argument("notebook", None) or None,
            session=(self.get_query_argument("session", None) or self.get_query_argument("session_id", None)
                     or None),
            limit=self.int_arg("limit", 1000, maximum=self.mlm.limits.max_page)))


class LineageHandler(MlmHandler):
    """GET the lineage of a run or model (``ref``)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        ref = next((value for name in ("ref", "run_id", "uri") if (value := self.get_query_argument(name, ""))), "")
        if not ref:
            raise InvalidInputError("give ?ref=<run id> or ?ref=models:/<name>/<version>")
        depth = self.int_arg("depth", 3, minimum=1, maximum=10)
        self.send_json(await self.mlm.run(features.lineage_view, self.mlm.client, ref, depth))


class ModelsHandler(MlmHandler):
    """GET registered models."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.send_json(await self.mlm.run(features.models_view, self.mlm.client))


class ModelHandler(MlmHandler):
    """GET one model with its versions and aliases."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(features.model_view, self.mlm.client, name))


class ModelVersionsHandler(MlmHandler):
    """GET every version of a model."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(features.model_versions_view, self.mlm.client, name))


class ModelVersionHandler(MlmHandler):
    """GET one model version by number or alias."""

    @web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        self.send_json(await self.mlm.run(features.model_version_view, self.mlm.client, name, version))


class ModelHistoryHandler(MlmHandler):
    """GET a model's audit trail."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(features.model_history_view, self.mlm.client, name))


class ModelAliasesHandler(MlmHandler):
    """GET the aliases; POST ``{alias, version, reason}``: set or move an alias (promotion rules apply)."""

    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.send_json(await self.mlm.run(features.model_aliases_view, self.mlm.client, name))

    @web.authenticated
    @authorized
    async def post(self, name: str) -> None:
        body = self.json_body()
        self.send_json(await self.mlm.run_as(request_identity(self), features.set_alias_view, self.mlm.client, name,
                                             body))


class UnknownRouteHandler(MlmHandler):
    """Anything else under ``/mlm/api/``: a 404 with a code (never a filesystem lookup)."""

    def _missing(self) -> None:
        raise NotFoundError(f"no mlm-jupyter API route {self.request.method} {self.request.path}")

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        self._missing()

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        self._missing()
