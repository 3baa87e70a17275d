"""MlmHandler: what every REST handler shares (auth resource, limits, JSON in and out, errors)."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from mlm_jupyter.core.errors import InvalidInputError, MlmError, StoreUnreachableError
from mlm_jupyter.server.context import LOAD_ERROR_KEY, SETTINGS_KEY, MlmContext
from mlm_jupyter.server.errors import PAYLOAD_TOO_LARGE, error_body, status_for, wire_error

__all__ = ["MlmHandler"]

_STATUS_CODES = {400: "INVALID_PARAMETER", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: PAYLOAD_TOO_LARGE, 503: "STORE_UNREACHABLE"}


class MlmHandler(APIHandler):
    """Base of our handlers. Subclasses decorate each verb with
    ``@web.authenticated`` and ``@authorized``; errors become ``{"code", "message", "details"}``."""

    auth_resource = "mlm_jupyter"
    max_body: str = "max_body_bytes"  # which Limits field bounds this handler's body

    @property
    def mlm(self) -> MlmContext:
        context = self.settings.get(SETTINGS_KEY)  # jupyter_server first puts the extension app there
        if not isinstance(context, MlmContext):
            raise StoreUnreachableError(self.settings.get(LOAD_ERROR_KEY) or "the mlm-jupyter store is not open")
        return context

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        await super().prepare(*args, **kwargs)
        if not isinstance(self.settings.get(SETTINGS_KEY), MlmContext):
            return  # no store: each verb answers 503 after authentication
        limit = int(getattr(self.mlm.limits, self.max_body))
        if len(self.request.body or b"") > limit:
            status, body = wire_error(PAYLOAD_TOO_LARGE, f"request body is larger than {limit} bytes", limit=limit)
            self.set_status(status)
            self.finish(json.dumps(body))

    # ------------------------------------------------------------ input

    def json_body(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"{}")
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
