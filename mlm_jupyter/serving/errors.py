"""The serving errors: each bad request names what was wrong, and maps to its HTTP status."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["BadInput", "BodyTooLarge", "UnsupportedMediaType"]


class BadInput(InvalidInputError):
    """A request the model cannot take (400): ``column`` and ``reason`` say which input and why.

    ``reason`` is one of ``missing`` (a signature column is absent), ``wrong_type``, ``non_finite``
    (NaN, infinity or null where the signature forbids it), ``bad_shape``, ``bad_format`` (not one of
    the scoring server's formats), ``empty``, ``model_error`` (the model itself refused the input).
    """

    code = "BAD_REQUEST"
    http_status = 400

    def __init__(self, message: str, *, reason: str, column: str | None = None, **details: Any) -> None:
        super().__init__(message, reason=reason, column=column, **details)
        self.reason = reason
        self.column = column


class UnsupportedMediaType(InvalidInputError):
    """A body that is neither JSON nor CSV (415)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class BodyTooLarge(InvalidInputError):
    """A body over the server's limit (413), refused before it is read."""

    code = "BODY_TOO_LARGE"
    http_status = 413
