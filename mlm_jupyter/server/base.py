"""MlmHandler: what every REST handler shares (auth resource, limits, JSON in and out, errors)."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from mlm_jupyter.core.errors import InvalidInputError, MlmError, PayloadTooLargeError, StoreUnreachableError
from mlm_jupyter.server.context import LOAD_ERROR_KEY, SETTINGS_KEY, MlmContext
from mlm_jupyter.server.errors import PAYLOAD_TOO_LARGE, error_body, status_for

__all__ = ["MlmHandler"]

_STATUS_CODES = {400: "INVALID_PARAMETER", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: PAYLOAD_TOO_LARGE, 503: "STORE_UNREACHABLE"}


@web.stream_request_body
class MlmHandler(APIHandler):
    """Base of our handlers. Subclasses decorate each verb with
    ``@web.authenticated`` and ``@authorized``; errors become ``{"code", "message", "details"}``.

    Bodies are streamed (``stream_request_body``), so the size is checked before anything is kept: a
    declared ``Content-Length`` above the limit, or a body that grows past it, is read and dropped
    chunk by chunk (the server never holds it) and answered with a JSON 413 that says the limit.
    An unauthenticated request's body is never kept either. ``request_body()`` gives the body.
    """

    auth_resource = "mlm_jupyter"
    max_body: str = "max_body_bytes"  # which Limits field bounds this handler's body
    _UNBOUNDED = 1 << 60  # tornado's own cap would answer a non-JSON 400; ours answers JSON

    @property
    def mlm(self) -> MlmContext:
        context = self.settings.get(SETTINGS_KEY)  # jupyter_server first puts the extension app there
        if not isinstance(context, MlmContext):
            raise StoreUnreachableError(self.settings.get(LOAD_ERROR_KEY) or "the mlm-jupyter store is not open")
        return context

    def body_limit(self) -> int:
        context = self.settings.get(SETTINGS_KEY)
        return int(getattr(context.limits, self.max_body)) if isinstance(context, MlmContext) else 0

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        self._body_parts: list[bytes] = []
        self._body_received = 0
        self._keep_body = False
        await super().prepare(*args, **kwargs)
        self.request.connection.set_max_body_size(self._UNBOUNDED)
        limit = self.body_limit()
        declared = self.request.headers.get("Content-Length", "")
        self._body_declared = int(declared) if declared.isdigit() else None
        self._keep_body = bool(self.current_user) and (self._body_declared or 0) <= limit
        if self._keep_body:
            self.start_body(limit)

    def start_body(self, limit: int) -> None:
        """Called once the body is known to be wanted; the blob handler opens its spool file here."""

    def data_received(self, chunk: bytes) -> None:
        self._body_received += len(chunk)
        if not self._keep_body:
            return
        if self._body_received > self.body_limit():  # no (or a false) Content-Length: stop keeping it now
            self._keep_body = False
            self.drop_body()
            return
        self.keep_chunk(chunk)

    def keep_chunk(self, chunk: bytes) -> None:
        self._body_parts.append(chunk)

    def drop_body(self) -> None:
        self._body_parts = []

    def body_too_large(self) -> PayloadTooLargeError | None:
        """The 413 to answer when the body was over the limit, else ``None``."""
        if not isinstance(self.settings.get(SETTINGS_KEY), MlmContext):
            return None  # no store: the verb answers 503 with the reason (the body was not kept)
        limit = self.body_limit()
        size = max(self._body_received, self._body_declared or 0)
        if size <= limit:
            return None
        return PayloadTooLargeError(
            f"the request body is {size:,} bytes; this server takes at most {limit:,} bytes here "
            f"(MlmServer.{self.max_body}). Send less per request, or raise the limit: "
            f"jupyter lab --MlmServer.{self.max_body}=<bytes>", limit=limit, size=size)

    def request_body(self) -> bytes:
        """The whole request body (``PayloadTooLargeError`` if it was over the limit)."""
        error = self.body_too_large()
        if error is not None:
            raise error
        return b"".join(self._body_parts)

    def on_finish(self) -> None:
        self.drop_body()
        super().on_finish()

    # ------------------------------------------------------------ input

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request_body() or b"{}")
        except (ValueError, UnicodeDecodeError) as error:
            raise InvalidInputError(f"the request body is not valid JSON: {error}") from error
        if not isinstance(body, dict):
            raise InvalidInputError("the request body must be a JSON object")
        return body

    def int_arg(self, name: str, default: int | None, *, minimum: int = 0, maximum: int | None = None) -> int | None:
        text = self.get_query_argument(name, None)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise InvalidInputError(f"query argument {name!r} must be an integer, got {text[:40]!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise InvalidInputError(f"query argument {name!r} must be between {minimum} and {maximum}, got {value}")
        return value

    # ------------------------------------------------------------ output

    def send_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(value, allow_nan=False, separators=(",", ":")))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, MlmError):
            status_code, body = status_for(error), error_body(error)
        elif isinstance(error, web.HTTPError) or error is None:
            message = (error.log_message if isinstance(error, web.HTTPError) and error.log_message
                       else self._reason)
            body = {"code": _STATUS_CODES.get(status_code, "INTERNAL_ERROR"), "message": message, "details": {}}
        else:
            status_code, body = 500, error_body(error)
        self.clear_header("Content-Type")
        self.set_status(status_code)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(body, allow_nan=False, default=str))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, MlmError) and status_for(value) < 500:
            self.log.debug("mlm-jupyter: %s %s -> %s %s", self.request.method, self.request.path,
                           value.code, value.message)
            return
        super().log_exception(typ, value, tb)
