"""The one place where errors become HTTP responses: ``MlmError`` code -> status and JSON body.

Every error body is ``{"code", "message", "details"}``; ``RestStore`` turns
it back into the same ``MlmError`` class, and the sidebar shows ``message``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from mlm_jupyter.core.errors import MlmError

__all__ = ["NOT_IMPLEMENTED", "PAYLOAD_TOO_LARGE", "NotServedError", "error_body", "status_for", "wire_error"]

log = logging.getLogger("mlm_jupyter.server")

# Codes that exist only on the wire (no MlmError class raises them in Python).
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
_WIRE_ONLY_STATUS = {NOT_IMPLEMENTED: 501, PAYLOAD_TOO_LARGE: 413}


class NotServedError(MlmError):
    """A route whose feature is not installed in this build (the client has no such method yet)."""

    code = NOT_IMPLEMENTED
    http_status = 501


def status_for(error: BaseException) -> int:
    """The HTTP status for ``error``: the MlmError's own status, else 500."""
    if isinstance(error, MlmError):
        return int(error.http_status)
    return 500


def error_body(error: BaseException) -> dict[str, Any]:
    """The JSON body for ``error``; unexpected exceptions are logged and not leaked."""
    if isinstance(error, MlmError):
        return {"code": error.code, "message": error.message, "details": _jsonable(error.details)}
    log.exception("mlm-jupyter: unexpected error in a REST handler", exc_info=error)
    return {"code": "INTERNAL_ERROR", "message": f"internal error ({type(error).__name__}); see the server log",
            "details": {}}


def wire_error(code: str, message: str, **details: Any) -> tuple[int, dict[str, Any]]:
    """Status and body for a wire-only code (``NOT_IMPLEMENTED``, ``PAYLOAD_TOO_LARGE``)."""
    return _WIRE_ONLY_STATUS[code], {"code": code, "message": message, "details": details}


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    """Details as JSON data: lists and dicts stay structured (a blocked promotion's ``failures``)."""
    return {str(k): _json_value(v) for k, v in details.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool, type(None))):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return str(value)
