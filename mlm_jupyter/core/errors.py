"""The error tree: every error mlm-jupyter raises on purpose, with stable codes.

Each class carries a ``code`` that survives a REST round trip (the server
maps it to an HTTP status in one place, the REST backend re-raises the same
class from it)::

    MlmError                       INTERNAL_ERROR        500
    ├── InvalidInputError          INVALID_PARAMETER     400
    │   ├── InvalidKeyError        INVALID_KEY           400
    │   ├── InvalidMetricError     INVALID_METRIC        400
    │   ├── ParamTooLargeError     PARAM_TOO_LARGE       400
    │   ├── ParamConflictError     PARAM_CONFLICT        409
    │   ├── QuerySyntaxError       INVALID_QUERY         400
    │   ├── PayloadTooLargeError   PAYLOAD_TOO_LARGE     413
    │   └── UnsupportedTypeError   UNSUPPORTED_TYPE      400
    ├── NoActiveRunError           NO_ACTIVE_RUN         400
    ├── RunAlreadyActiveError      RUN_ALREADY_ACTIVE    409
    ├── NotFoundError              NOT_FOUND             404
    ├── AlreadyExistsError         ALREADY_EXISTS        409
    ├── PermissionDeniedError      PERMISSION_DENIED     403
    ├── IntegrityError             INTEGRITY_ERROR       409  (sha256 mismatch)
    ├── PromotionBlockedError      PROMOTION_BLOCKED     409
    ├── UntrustedModelError        UNTRUSTED_MODEL       403
    └── StoreError                 STORE_ERROR           500
        ├── StoreBusyError         STORE_BUSY            503
        ├── StoreUnreachableError  STORE_UNREACHABLE     503
        ├── CorruptStoreError      CORRUPT_STORE         500
        └── SchemaTooNewError      SCHEMA_TOO_NEW        500

Every message says what happened and what to do about it.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExistsError",
    "CorruptStoreError",
    "IntegrityError",
    "InvalidInputError",
    "InvalidKeyError",
    "InvalidMetricError",
    "MlmError",
    "NoActiveRunError",
    "NotFoundError",
    "ParamConflictError",
    "ParamTooLargeError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PromotionBlockedError",
    "QuerySyntaxError",
    "RunAlreadyActiveError",
    "SchemaTooNewError",
    "StoreBusyError",
    "StoreError",
    "StoreUnreachableError",
    "UnsupportedTypeError",
    "UntrustedModelError",
    "error_from_code",
]


class MlmError(Exception):
    """Base of every error mlm-jupyter raises on purpose."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The wire form used by the REST API."""
        return {"code": self.code, "message": self.message, "details": self.details}


class InvalidInputError(MlmError):
    code = "INVALID_PARAMETER"
    http_status = 400


class InvalidKeyError(InvalidInputError):
    code = "INVALID_KEY"


class InvalidMetricError(InvalidInputError):
    code = "INVALID_METRIC"


class ParamTooLargeError(InvalidInputError):
    code = "PARAM_TOO_LARGE"


class ParamConflictError(InvalidInputError):
    code = "PARAM_CONFLICT"
    http_status = 409


class QuerySyntaxError(InvalidInputError):
    """A run filter that does not parse; ``column`` is 1-based in the filter string."""

    code = "INVALID_QUERY"

    def __init__(self, message: str, *, text: str = "", column: int = 0, **details: Any) -> None:
        shown, caret = text, max(column - 1, 0)
        if len(text) > 120:  # a window around the column: a hostile 100k-character filter is not echoed whole
            start = max(caret - 60, 0)
            shown, caret = text[start:start + 120], caret - start
        pointer = f"\n  {shown}\n  {' ' * caret}^" if text else ""
        super().__init__(f"{message} (column {column}){pointer}", column=column, text=text[:1000], **details)
        self.column = column


class PayloadTooLargeError(InvalidInputError):
    """A request body (or artifact upload) above the server's limit; the message says the limit."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class UnsupportedTypeError(InvalidInputError):
    code = "UNSUPPORTED_TYPE"


class NoActiveRunError(MlmError):
    code = "NO_ACTIVE_RUN"
    http_status = 400


class RunAlreadyActiveError(MlmError):
    code = "RUN_ALREADY_ACTIVE"
    http_status = 409


class NotFoundError(MlmError):
    code = "NOT_FOUND"
    http_status = 404


class AlreadyExistsError(MlmError):
    code = "ALREADY_EXISTS"
    http_status = 409


class PermissionDeniedError(MlmError):
    code = "PERMISSION_DENIED"
    http_status = 403


class IntegrityError(MlmError):
    code = "INTEGRITY_ERROR"
    http_status = 409


class PromotionBlockedError(MlmError):
    code = "PROMOTION_BLOCKED"
    http_status = 409


class UntrustedModelError(MlmError):
    code = "UNTRUSTED_MODEL"
    http_status = 403


class StoreError(MlmError):
    code = "STORE_ERROR"
    http_status = 500


class StoreBusyError(StoreError):
    code = "STORE_BUSY"
    http_status = 503


class StoreUnreachableError(StoreError):
    code = "STORE_UNREACHABLE"
    http_status = 503


class CorruptStoreError(StoreError):
    code = "CORRUPT_STORE"


class SchemaTooNewError(StoreError):
    code = "SCHEMA_TOO_NEW"


def _all_subclasses(cls: type[MlmError]) -> list[type[MlmError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_from_code(code: str, message: str, details: dict[str, Any] | None = None) -> MlmError:
    """Rebuild the error class named by ``code`` (used by the REST backend)."""
    for cls in _all_subclasses(MlmError):
        if cls.code == code:
            error = cls.__new__(cls)
            MlmError.__init__(error, message, **(details or {}))
            if isinstance(error, QuerySyntaxError):
                error.column = int((details or {}).get("column", 0))
            return error
    return MlmError(message, **(details or {}))
