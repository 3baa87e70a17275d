"""Validation of keys, param values and metric values, with messages that say what to do."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from mlm_jupyter.core.errors import (
    InvalidInputError,
    InvalidKeyError,
    InvalidMetricError,
    ParamTooLargeError,
    UnsupportedTypeError,
)

__all__ = ["END_STATUSES", "MAX_KEY_LENGTH", "MAX_PARAM_BYTES", "check_key", "check_run_name", "metric_value",
           "param_text", "run_status"]

MAX_KEY_LENGTH = 250
MAX_PARAM_BYTES = 64 * 1024
END_STATUSES = ("finished", "failed", "killed")
_KEY = re.compile(r"^[\w\-. /:]+$")  # unicode letters and digits allowed
_valid_keys: set[str] = set()


def check_key(key: Any, what: str = "key") -> str:
    """Return ``key`` if it is a valid metric/param/tag name, else raise ``InvalidKeyError``."""
    if not isinstance(key, str):  # before the set lookup: a dict key is unhashable
        raise InvalidKeyError(f"{what} names must be strings, got {type(key).__name__}: {_safe_repr(key)}")
    if key in _valid_keys:
        return key
    if not key or len(key) > MAX_KEY_LENGTH or not _KEY.match(key) or key != key.strip() or "//" in key:
        raise InvalidKeyError(
            f"invalid {what} name {key[:100]!r}: use 1-{MAX_KEY_LENGTH} letters, digits, and _ - . / : "
            "or spaces (no quotes, newlines or leading/trailing spaces)", key=key[:100])
    if len(_valid_keys) < 100_000:
        _valid_keys.add(key)
    return key


def check_run_name(name: Any) -> str:
    """Return ``name`` if it is a valid run name, else raise ``InvalidKeyError``.

    Run names are freer than keys (``"rf (depth=8), lr=0.1"`` is fine) but follow the same rules where it
    matters: text of 1-250 printable characters, no control characters (NUL, ESC, newlines, tabs: a name is
    printed in terminals and tables), no invisible formatting characters, no leading/trailing spaces.
    """
    if not isinstance(name, str):
        raise InvalidKeyError(f"a run name is a string, got {type(name).__name__}: {_safe_repr(name)}")
    if not name or len(name) > MAX_KEY_LENGTH or not name.isprintable() or name != name.strip():
        raise InvalidKeyError(
            f"invalid run name {name[:100]!r}: use 1-{MAX_KEY_LENGTH} printable characters (no control characters "
            "such as NUL, ESC, tabs or newlines, and no leading/trailing spaces), or leave the name out to get a "
            "generated one", key=name[:100])
    return name


def metric_value(value: Any, key: str = "") -> float:
    """Coerce a metric value to float; NaN and infinities are kept (they round-trip)."""
    if isinstance(value, float):
        return value
    if isinstance(value, (str, bytes, bytearray)) or value is None:
        raise InvalidMetricError(
            f"metric {key!r} got {value!r}; metrics are numbers. Log text with set_tag or log_param.", key=key)
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range (10**400)
        raise InvalidMetricError(
            f"metric {key!r} got an integer too large for a float ({len(str(abs(value)))} digits); "
            "log a float (or its logarithm) instead.", key=key) from None
    except Exception:  # noqa: BLE001 -- a user object's __float__ may raise anything
        raise InvalidMetricError(
            f"metric {key!r} got a {type(value).__name__}, which is not a number. Pass a float "
            "(for a tensor or array use .item()).", key=key) from None


def run_status(status: Any) -> str:
    """The stored form of an end status (any case, as MLflow's ``"FINISHED"``), else ``InvalidInputError``."""
    text = str(status).lower()
    if text not in END_STATUSES:
        raise InvalidInputError(f"a run ends as finished, failed or killed, not {status!r}; "
                                "nothing was changed (the run keeps running).", status=str(status))
    return text


def param_text(value: Any, key: str = "", what: str = "param") -> str:
    """The stored text of a param (or tag, per ``what``) value: JSON for lists/dicts/None/bools, else ``str``."""
    if type(value) is str and value.isascii() and len(value) <= MAX_PARAM_BYTES:  # the common case, in C
        return value
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, float) and not math.isfinite(value):
        text = str(value)
    elif isinstance(value, (list, tuple, dict)):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except Exception:  # noqa: BLE001 -- circular, or an element's __str__ raised: fall back to str()
            text = _text_of(value, key, what)
    else:
        text = _text_of(value, key, what)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:  # a lone surrogate ('\ud800') has no UTF-8 form
        raise InvalidInputError(
            f"{what} {key!r} holds a lone surrogate ({text[exc.start]!r} at position {exc.start}), which is not "
            "valid text; decode the bytes it came from properly (errors='replace') or log it with repr().",
            key=key) from None
    if size > MAX_PARAM_BYTES:
        raise ParamTooLargeError(
            f"{what} {key!r} is {size:,} bytes; {what}s hold at most {MAX_PARAM_BYTES:,} bytes. "
            "Log large values as an artifact (mlm.log_artifact) or a dataset (mlm.log_input).", key=key, size=size)
    return text


def _text_of(value: Any, key: str, what: str) -> str:
    """``str(value)``, or an ``UnsupportedTypeError`` when the object's own ``__str__`` fails."""
    try:
        text = str(value)
    except Exception as exc:  # noqa: BLE001 -- a user object's __str__/__repr__ may raise anything
        raise UnsupportedTypeError(
            f"{what} {key!r}: str() of the {type(value).__name__} value failed ({type(exc).__name__}: {exc}); "
            f"pass a str, number, list or dict instead.", key=key) from None
    if not isinstance(text, str):  # a __str__ returning a non-str raises TypeError above; belt and braces
        raise UnsupportedTypeError(f"{what} {key!r}: the {type(value).__name__} value has no text form")
    return text


def _safe_repr(value: Any) -> str:
    """``repr(value)`` shortened, or a placeholder when the object's ``__repr__`` fails."""
    try:
        return repr(value)[:100]
    except Exception:  # noqa: BLE001 -- a user object's __repr__ may raise anything
        return f"<{type(value).__name__} object>"
