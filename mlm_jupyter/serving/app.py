"""The Starlette application: MLflow scoring-server routes plus ``/metadata``.

``POST /invocations`` (JSON ``dataframe_split`` / ``dataframe_records`` /
``instances`` / ``inputs``, or ``text/csv``) -> ``{"predictions": [...]}``;
``GET /ping``, ``/health``, ``/version``, ``/metadata``. Every response
carries ``X-Model-Version``: for a prediction, the version that made it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from typing import Any, AsyncIterator

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from mlm_jupyter._version import __version__
from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.serving.config import ServeConfig
from mlm_jupyter.serving.errors import BadInput, BodyTooLarge
from mlm_jupyter.serving.input_check import prepare_input
from mlm_jupyter.serving.payload import parse_body
from mlm_jupyter.serving.served_model import ServedModel
from mlm_jupyter.serving.state import ServingState

__all__ = ["build_app", "create_app"]

log = logging.getLogger("mlm.serve")

VERSION_HEADER = "X-Model-Version"
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def _headers(served: ServedModel, request_id: str | None = None) -> dict[str, str]:
    headers = {VERSION_HEADER: served.label}
    if request_id is not None:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def _error(error: MlmError, served: ServedModel, request_id: str | None = None) -> Response:
    body: dict[str, Any] = {"error_code": error.code, "message": error.message}
    if isinstance(error, BadInput):
        body.update(column=error.column, reason=error.reason)
        if "row" in error.details:
            body["row"] = error.details["row"]
    return JSONResponse(body, status_code=error.http_status, headers=_headers(served, request_id))


def predictions_json(y_pred: Any) -> Any:
    """Predictions as JSON values (MLflow's shape): a list per row, non-finite floats as null."""
    module = type(y_pred).__module__.split(".")[0]
    if module == "pandas":
        if hasattr(y_pred, "columns"):
            return json.loads(y_pred.to_json(orient="records"))
        y_pred = y_pred.to_numpy()
    array = np.asarray(y_pred)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        array = array.astype(object)
        array[~np.isfinite(array.astype(float))] = None
    return array.tolist()


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the request body has {declared} bytes; this server takes at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is over this server's limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(state: ServingState) -> Starlette:
    """The ASGI app for ``state`` (started and stopped by the app's lifespan)."""
    limit = state.config.max_body_bytes

    async def invocations(request: Request) -> Response:
        served = state.slot.current  # this request is served by this version, whatever switches meanwhile
        given = request.headers.get(REQUEST_ID_HEADER)
        request_id = given if given is not None and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        try:
            body = await _read_body(request, limit)
            X = prepare_input(parse_body(body, request.headers.get("content-type")), served.signature)
            try:
                y_pred = served.model.predict(X)
            except (ValueError, TypeError, KeyError) as error:
                raise BadInput(f"the model refused this input ({type(error).__name__}: {error})"[:500],
                               reason="model_error") from error
        except MlmError as error:
            return _error(error, served, request_id)
        ids = [f"{request_id}:{row}" for row in range(len(X))]
        state.predictions.log(served, X, y_pred, ids)
        if state.shadow is not None:
            state.shadow.submit(X, ids)
        content = json.dumps({"predictions": predictions_json(y_pred)}, separators=(",", ":"))
        return Response(content, media_type="application/json", headers=_headers(served, request_id))

    async def ping(request: Request) -> Response:
        return PlainTextResponse("\n", headers=_headers(state.slot.current))

    async def version(request: Request) -> Response:
        return PlainTextResponse(__version__, headers=_headers(state.slot.current))

    async def metadata(request: Request) -> Response:
        return JSONResponse(state.metadata(), headers=_headers(state.slot.current))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        message = "no such route: POST /invocations; GET /ping, /health, /version, /metadata"
        return JSONResponse({"error_code": "NOT_FOUND" if status == 404 else "METHOD_NOT_ALLOWED",
                             "message": message}, status_code=status, headers=_headers(state.slot.current))

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error serving %s", request.url.path, exc_info=exc)
        return JSONResponse({"error_code": "INTERNAL_ERROR", "message": f"{type(exc).__name__}: {exc}"[:500]},
                            status_code=500, headers=_headers(state.slot.current))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            state.stop()  # after uvicorn answered every request in flight: drain the shadow, flush the log

    routes = [Route("/invocations", invocations, methods=["POST"]),
              Route("/ping", ping, methods=["GET"]), Route("/health", ping, methods=["GET"]),
              Route("/version", version, methods=["GET"]), Route("/metadata", metadata, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={404: not_found, 405: not_found, Exception: server_error})


def create_app() -> Starlette:
    """The app of one worker process, configured by ``MLM_SERVE_CONFIG`` (uvicorn's factory)."""
    return build_app(ServingState(ServeConfig.from_env()))
