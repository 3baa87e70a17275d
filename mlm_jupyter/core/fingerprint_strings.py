"""Exact, fast conversion of Python string columns (object arrays, pandas python-backed strings) to Arrow.

A column qualifies when every element is a ``str`` (subclasses such as
``numpy.str_`` included) or a null (``None``, a float NaN, ``pandas.NA``) and
at least one element is a string. It then becomes an Arrow string array whose
canonical encoding (``docs/fingerprint.md``) is the same as that of the same
values held as pandas ``str``, Arrow or polars strings. Anything else (bytes,
numbers, ``NaT``, Arrow scalars, all-null or empty columns) returns ``None``
and the caller takes the general object path, which keeps every Python type
apart.

Converting Python strings is the one step of a fingerprint that must hold the
GIL. Large columns go through polars when it is installed: its strict
``String`` conversion accepts exactly ``str`` and ``None`` and copies the UTF-8
bytes in one pass, ~25 % faster than pandas' type check plus ``pyarrow.array``.
Without polars (or for small columns) that check plus a typed ``pyarrow.array``
is used. Both give the same Arrow values, so the digest never depends on which
path ran.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from mlm_jupyter.core.errors import UnsupportedTypeError

__all__ = ["CHUNK_ROWS", "POLARS_MIN_ROWS", "as_large_string", "python_strings_to_arrow", "strings_to_arrow",
           "use_polars_only_if_imported"]

POLARS_MIN_ROWS = 50_000
"""Columns shorter than this skip polars (its import and call overhead outweigh the gain)."""

CHUNK_ROWS = 1 << 18
"""Rows converted per call (~5 ms): the GIL is free between chunks for threads hashing other columns."""

_polars_module: Any = None
_polars_checked = False
_polars_import_allowed = True


def use_polars_only_if_imported(on: bool = True) -> None:
    """Never import polars, only use it once someone else has (the kernel extension: hashing after a cell
    must not add modules to ``sys.modules``, which other libraries may look at)."""
    global _polars_import_allowed, _polars_checked, _polars_module
    _polars_import_allowed = not on
    if on and _polars_module is None:
        _polars_checked = False


def _polars() -> Any:
    """The polars module if it is installed (imported on first need), else ``None``."""
    global _polars_module, _polars_checked
    if not _polars_import_allowed and not _polars_checked:
        import sys

        if "polars" not in sys.modules:
            return None
    if not _polars_checked:
        _polars_checked = True
        try:
            if importlib.util.find_spec("polars") is not None:
                import polars

                _polars_module = polars if hasattr(polars, "CompatLevel") else None
        except Exception:  # noqa: BLE001 -- a broken optional accelerator only means the slower path
            _polars_module = None
    return _polars_module


def _unencodable(error: UnicodeEncodeError) -> UnsupportedTypeError:
    return UnsupportedTypeError(
        "cannot fingerprint a string that is not valid Unicode (a lone surrogate such as '\\ud800'); "
        "clean the column first, e.g. s.str.encode('utf-8', 'surrogatepass') to keep it as bytes",
        reason=str(error)[:200])


def _is_null_kind(kind: type) -> bool:
    """Null markers a string column may hold: ``None``, float NaN (``pd.isna`` checked the value), ``pd.NA``."""
    import pandas as pd

    return kind is type(None) or kind is type(pd.NA) or issubclass(kind, float)


_STR_TYPES = (str, np.str_)


def _polars_strings(pl: Any, values: np.ndarray) -> Any:
    """polars' strict ``String`` conversion, only where it is exact; ``None`` when it refuses.

    polars picks its converter from the first value: a ``str`` selects a strict
    one that accepts ``str`` and ``None`` only. A leading ``bytes`` would select
    a binary converter whose result is then *cast* to ``String``, so the first
    value must be a plain ``str``.
    """
    if len(values) == 0 or type(values[0]) not in _STR_TYPES:
        return None
    try:
        return pl.Series("", values, dtype=pl.String, strict=True)
    except (TypeError, pl.exceptions.PolarsError):  # anything but str or None (NaN included)
        return None


def _polars_chunk(pl: Any, chunk: np.ndarray) -> tuple[pa.Array, int] | None:
    series = _polars_strings(pl, chunk)
    if series is not None:
        return series.to_arrow(compat_level=pl.CompatLevel.newest()), int(series.null_count())
    # Nulls other than None (NaN, pd.NA) or a null first value: convert from the first string on,
    # with every null as None.
    import pandas as pd

    mask: np.ndarray = np.asarray(pd.isna(chunk))
    if not mask.any() or not all(_is_null_kind(kind) for kind in set(map(type, chunk[mask]))):
        return None
    lead = int(np.argmin(mask))  # the first non-null value
    if mask[lead]:
        return pa.nulls(len(chunk), pa.large_string()), len(chunk)
    rest: np.ndarray = chunk[lead:].copy()
    rest[mask[lead:]] = None
    series = _polars_strings(pl, rest)
    if series is None:
        return None
    arr = as_large_string(series.to_arrow(compat_level=pl.CompatLevel.newest()))
    if lead:
        arr = pa.concat_arrays([pa.nulls(lead, pa.large_string()), arr])
    return arr, lead + int(series.null_count())


def _pyarrow_chunk(chunk: np.ndarray) -> tuple[pa.Array, int] | None:
    try:  # the caller checked that every non-null value is a str; nulls are None, NaN or pd.NA
        arr = pa.array(chunk, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # a null pandas skips but Arrow does not take
        return None
    return arr, arr.null_count


def as_large_string(arr: pa.Array) -> pa.Array:
    """``arr`` as ``large_string`` (polars hands out ``string_view``); Arrow's cast releases the GIL."""
    return arr if pa.types.is_large_string(arr.type) else arr.cast(pa.large_string())


def strings_to_arrow(values: np.ndarray, chunk_done: Callable[[pa.Array], Any] = as_large_string) -> list[Any] | None:
    """Arrow strings of a 1-D object array of ``str`` and nulls, in chunks of ``CHUNK_ROWS`` rows, else ``None``.

    Args:
        values: a 1-D numpy object array (any strides).
        chunk_done: called with each converted chunk (``large_string`` or
            ``string_view``) in order, as soon as it exists; its results are
            returned. The default casts to ``large_string``; the frame encoder
            hands chunks to its thread pool instead, so the GIL is released between
            chunks and other columns hash meanwhile.

    Returns:
        ``[chunk_done(chunk), ...]`` (nulls where the input held ``None``, a
        float NaN or ``pandas.NA``), or ``None`` when the column holds anything
        else, is empty or holds only nulls.

    Raises:
        UnsupportedTypeError: a string cannot be encoded as UTF-8 (lone surrogate).
    """
    n = len(values)
    if values.ndim != 1 or n == 0:
        return None
    pl = _polars() if n >= POLARS_MIN_ROWS else None
    if pl is None:
        from pandas.api.types import infer_dtype

        if infer_dtype(values, skipna=True) != "string":  # exact: every non-null value is a str
            return None
    results: list[Any] = []
    nulls = 0
    try:
        for start in range(0, n, CHUNK_ROWS):
            chunk = values[start:start + CHUNK_ROWS]
            converted = _polars_chunk(pl, chunk) if pl is not None else _pyarrow_chunk(chunk)
            if converted is None:
                return None
            nulls += converted[1]
            results.append(chunk_done(converted[0]))
    except UnicodeEncodeError as error:
        raise _unencodable(error) from None
    return results if nulls < n else None


def python_strings_to_arrow(objects: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """Arrow strings of a pandas python-backed ``StringArray`` (``string[python]``, ``str`` without pyarrow).

    Args:
        objects: its object array (``np.asarray(array)``); pandas guarantees ``str``
            values and one missing-value marker (``pd.NA`` or NaN).
    """
    converted = strings_to_arrow(objects)
    if converted is not None:
        return pa.chunked_array(converted, pa.large_string())
    try:  # empty or all-null: still a string column
        return pa.array(objects, type=pa.large_string(), from_pandas=True)
    except UnicodeEncodeError as error:
        raise _unencodable(error) from None
