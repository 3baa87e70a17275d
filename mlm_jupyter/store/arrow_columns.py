"""Arrow columns from Python lists without importing pandas.

``pyarrow.array(list)`` asks pandas whether the list is "array-like", which
imports pandas (about half a second) in a script that only logs a metric.
Building the buffers directly skips that probe and is as fast for the
column types the write path needs: strings, 64-bit floats and integers,
each with nulls.
"""

from __future__ import annotations

from array import array
from itertools import accumulate
from typing import Any, Sequence

import pyarrow as pa

__all__ = ["column", "table"]

_CODES = {pa.float64(): "d", pa.int64(): "q", pa.int32(): "i"}


def _validity(values: Sequence[Any]) -> tuple[Any, int]:
    """A validity bitmap (``None`` when nothing is null) and the null count."""
    nulls = sum(1 for v in values if v is None)
    if not nulls:
        return None, 0
    bits = bytearray((len(values) + 7) // 8)
    for i, value in enumerate(values):
        if value is not None:
            bits[i >> 3] |= 1 << (i & 7)
    return pa.py_buffer(bytes(bits)), nulls


def column(values: Sequence[Any], type: pa.DataType) -> pa.Array:
    """``values`` (a list, ``None`` for null) as an Arrow array of ``type`` (string, float64, int64, int32)."""
    validity, nulls = _validity(values)
    if type == pa.string():
        data = [b"" if v is None else str(v).encode("utf-8") for v in values]
        offsets = array("i", accumulate(map(len, data), initial=0))
        if offsets[-1] >= 2**31:
            raise OverflowError("more than 2 GiB of text in one column")
        return pa.Array.from_buffers(pa.string(), len(values),
                                     [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))],
                                     null_count=nulls)
    code = _CODES.get(type)
    if code is None:
        raise TypeError(f"no list-to-Arrow builder for {type}")
    zero = 0.0 if code == "d" else 0
    buffer = array(code, [zero if v is None else v for v in values]) if nulls else array(code, values)
    return pa.Array.from_buffers(type, len(values), [validity, pa.py_buffer(buffer)], null_count=nulls)


def table(columns: dict[str, Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` from one list per field."""
    return pa.Table.from_arrays([column(columns[f.name], f.type) for f in schema], schema=schema)
