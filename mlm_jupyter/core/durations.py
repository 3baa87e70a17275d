"""Durations written the short way (``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``, ``"2w"``) as seconds."""

from __future__ import annotations

import re
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(value: Any, what: str = "window") -> float:
    """Seconds in ``value``: a number of seconds, a ``timedelta``, or text such as ``"1h"`` or ``"7d"``.

    Raises:
        InvalidInputError: anything else, or a duration that is not positive.
    """
    if hasattr(value, "total_seconds"):
        seconds = float(value.total_seconds())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.match(value.lower()):
        match = _DURATION.match(value.lower())
        assert match is not None
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise InvalidInputError(f"{what} must be a duration such as '30m', '1h', '1d' or '7d' (or seconds), "
                                f"got {value!r:.40}")
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise InvalidInputError(f"{what} must be a positive duration, got {value!r:.40}")
    return seconds
