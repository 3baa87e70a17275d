"""Handlers of the generic store endpoints (``/mlm/api/store/...``) that ``RestStore`` calls."""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from mlm_jupyter.core.errors import IntegrityError, InvalidInputError, PayloadTooLargeError
from mlm_jupyter.store import codec
from mlm_jupyter.store.contract import WriteBatch
from mlm_jupyter.server.base import MlmHandler
from mlm_jupyter.server.blobs import BlobSpool, check_sha256, stream_blob
from mlm_jupyter.server.identity import request_identity

__all__ = ["StoreBlobHandler", "StoreDescribeHandler", "StoreReadHandler", "StoreSqlHandler", "StoreWriteHandler"]


def _decode_json(text: str | bytes, what: str) -> Any:
    try:
        return codec.loads(text)
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidInputError(f"{what} is not valid JSON in the store encoding: {error}") from error


class StoreWriteHandler(MlmHandler):
    """POST a write batch ``{"id", "ops": [{"kind", "args"}]}`` -> ``{"results": [...]}``."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        data = _decode_json(self.request_body(), "the write batch")
        try:
            batch = WriteBatch.from_dict(data)
        except (KeyError, TypeError, AttributeError) as error:
            raise InvalidInputError(f"a write batch is {{'id', 'ops': [{{'kind', 'args'}}]}}: {error}") from error
        # the server, not the client, says who and when: any "user"/"time" in the ops is replaced
        results = await self.mlm.run_as(request_identity(self), self.mlm.store.write, batch)
        self.set_header("Content-Type", "application/json")
        self.finish(codec.dumps({"results": results}))


class StoreReadHandler(MlmHandler):
    """GET ``?args=<json>`` (or POST the args) of a named read -> ``{"result": ...}``."""

    async def _read(self, query: str, args: Any) -> None:
        if not isinstance(args, dict):
            raise InvalidInputError("read arguments must be a JSON object")
        result = await self.mlm.run(self.mlm.store.read, query, **{str(k): v for k, v in args.items()})
        self.set_header("Content-Type", "application/json")
        self.finish(codec.dumps({"result": result}))

    @web.authenticated
    @authorized
    async def get(self, query: str) -> None:
        await self._read(query, _decode_json(self.get_query_argument("args", "{}"), "args"))

    @web.authenticated
    @authorized
    async def post(self, query: str) -> None:
        await self._read(query, _decode_json(self.request_body() or b"{}", "the request body"))


class StoreSqlHandler(MlmHandler):
    """POST ``{"statement", "params", "max_rows", "timeout_s"}``: read-only SQL, bounded by the server's limits."""

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = _decode_json(self.request_body() or b"{}", "the request body")
        if not isinstance(body, dict) or not isinstance(body.get("statement"), str):
            raise InvalidInputError('give {"statement": "SELECT ...", "params": [...]}')
        limits = self.mlm.limits
        try:
            max_rows = min(int(body.get("max_rows", limits.sql_max_rows)), limits.sql_max_rows)
            timeout_s = min(float(body.get("timeout_s", limits.sql_timeout_s)), limits.sql_timeout_s)
        except (TypeError, ValueError) as error:
            raise InvalidInputError(f"max_rows and timeout_s must be numbers: {error}") from error
        params = body.get("params") or []
        if not isinstance(params, list):
            raise InvalidInputError("params must be a list")
        table = await self.mlm.run_sql(self.mlm.store.sql, body["statement"], params,
                                   max_rows=max(max_rows, 0), timeout_s=max(timeout_s, 0.01))
        self.set_header("Content-Type", "application/json")
        self.finish(codec.dumps({"result": table}))


class StoreBlobHandler(MlmHandler):
    """HEAD/GET/PUT one blob by sha256. PUT bodies are streamed to a spool file (never held in memory),
    hashed as they arrive and verified against the address before the store takes them."""

    max_body = "max_blob_bytes"

    @web.authenticated
    @authorized
    async def head(self, sha256: str) -> None:
        if not await self.mlm.run(self.mlm.store.has_blob, check_sha256(sha256)):
            # an existence probe answering "no" is an answer, not an error: no exception, and the access
            # log records it at debug level (RestStore probes every blob before uploading it)
            self._probe_missed = True
            self.set_status(404)
            self.finish()
            return
        self.finish()

    @property
    def log(self) -> Any:
        """The server log, quieter for a missed probe (jupyter_server's access log writes through this)."""
        logger = super().log
        return _ProbeMissLog(logger) if getattr(self, "_probe_missed", False) else logger

    @web.authenticated
    @authorized
    async def get(self, sha256: str) -> None:
        await stream_blob(self, check_sha256(sha256))

    def start_body(self, limit: int) -> None:
        self._spool: BlobSpool | None = None  # opened by the first chunk: a HEAD or GET makes no file

    def keep_chunk(self, chunk: bytes) -> None:
        if self._spool is None:
            self._spool = BlobSpool(self.mlm.store)
        self._spool.write(chunk)

    def on_connection_close(self) -> None:
        """A client gone mid-upload (killed, timed out) leaves no spool file behind: ``put`` never runs for
        its request, and neither does ``on_finish``. Once ``put`` has the body, it cleans up itself."""
        if not getattr(self, "_putting", False):
            self.drop_body()
        super().on_connection_close()

    def drop_body(self) -> None:
        spool = getattr(self, "_spool", None)
        if spool is not None:
            spool.discard()

    @web.authenticated
    @authorized
    async def put(self, sha256: str) -> None:
        sha256 = check_sha256(sha256)
        error = self.body_too_large()
        if error is not None:
            limit = self.body_limit()
            raise PayloadTooLargeError(
                f"this artifact is {error.details['size']:,} bytes, above the {limit:,}-byte upload limit of the "
                f"Jupyter server that owns the store. Raise the limit (jupyter lab "
                f"--MlmServer.max_blob_bytes=<bytes>, then restart it), or store the file elsewhere and log "
                "its location (mlm.set_tag) instead.", limit=limit, size=error.details["size"])
        self._putting = True
        spool = getattr(self, "_spool", None) or BlobSpool(self.mlm.store)
        try:
            actual = spool.finish()
            if actual != sha256:
                raise IntegrityError(f"the uploaded bytes hash to {actual}, not {sha256}; upload again",
                                     expected=sha256, actual=actual)
            size = spool.size
            await self.mlm.run(spool.store_into, sha256)
        finally:
            spool.discard()
        self.set_status(201)
        self.finish(json.dumps({"sha256": sha256, "size": size}))


class _ProbeMissLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logs a missed existence probe's 404 at debug level instead of warning."""

    def __init__(self, logger: Any) -> None:
        super().__init__(logger, {})

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


class StoreDescribeHandler(MlmHandler):
    """GET the owning store's description."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(codec.dumps(self.mlm.store.describe()))
