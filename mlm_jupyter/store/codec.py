"""Wire encoding for store values: JSON with Arrow tables, NaN and infinity kept.

The REST backend and the journal both need to carry read results and write
batches byte-for-byte faithfully. Plain JSON loses ``NaN``/``inf`` (not valid
JSON) and is slow for tables, so tables travel as base64 Arrow IPC streams and
non-finite floats as tagged strings.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a table is really coded: small batches carry none
    import pyarrow as pa

__all__ = ["decode", "dumps", "encode", "loads"]

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _table_to_b64(table: pa.Table) -> str:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def _table_from_b64(text: str) -> pa.Table:
    import pyarrow as pa

    reader = pa.ipc.open_stream(pa.py_buffer(base64.b64decode(text)))
    return reader.read_all()


def _is_table(value: Any) -> bool:
    """Whether ``value`` is a ``pyarrow.Table`` (without importing pyarrow: nobody made one if it is not loaded)."""
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(value, pa.Table)


def encode(value: Any) -> Any:
    """Turn a store value into JSON-safe data (tables, bytes and non-finite floats tagged)."""
    if _is_table(value):
        return {"__arrow__": _table_to_b64(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, (bytes, bytearray)):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """Inverse of ``encode``."""
    if isinstance(value, dict):
        if len(value) == 1:
            if "__arrow__" in value:
                return _table_from_b64(value["__arrow__"])
            if "__float__" in value:
                return _NONFINITE[value["__float__"]]
            if "__bytes__" in value:
                return base64.b64decode(value["__bytes__"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(encode(value), allow_nan=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    return decode(json.loads(text))
