"""The ``Fingerprint`` entity and the ``fingerprint(obj)`` dispatcher over every supported data type.

``fingerprint(obj)`` is exact and cheap: the digest covers every value (see
``docs/fingerprint.md``), the profile looks at a deterministic sample of at
most ``profile.SAMPLE_ROWS`` rows, and the row sketch (a full pass that hashes
every row) is computed only with ``rows=True``. ``is_supported(obj)`` is a
type check that imports nothing, for callers that screen many objects (the
kernel's per-cell capture).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, TypeVar

import numpy as np

from mlm_jupyter.core.errors import NotFoundError, UnsupportedTypeError

__all__ = ["Fingerprint", "FrozenMap", "fingerprint", "is_supported", "supported_kind"]

V = TypeVar("V")

_KINDS: dict[tuple[str, str], str] = {
    ("pandas", "DataFrame"): "pandas.DataFrame",
    ("pandas", "Series"): "pandas.Series",
    ("pandas", "Index"): "pandas.Index",
    ("polars", "DataFrame"): "polars.DataFrame",
    ("polars", "Series"): "polars.Series",
    ("pyarrow", "Table"): "pyarrow.Table",
    ("pyarrow", "RecordBatch"): "pyarrow.RecordBatch",
    ("pyarrow", "Array"): "pyarrow.Array",
    ("pyarrow", "ChunkedArray"): "pyarrow.ChunkedArray",
    ("numpy", "ndarray"): "numpy.ndarray",
    ("torch", "Tensor"): "torch.Tensor",
}
_UNSUPPORTED_HINTS: dict[tuple[str, str], str] = {
    ("polars", "LazyFrame"): "collect() the LazyFrame first",
    ("numpy", "MaskedArray"): "pass arr.filled(...) or a pandas/Arrow object with nulls",
    ("numpy", "matrix"): "pass np.asarray(m)",
    ("numpy", "generic"): "a numpy scalar is not an array; pass np.asarray(value) (a 0-d array)",
}


class FrozenMap(Mapping[str, V]):
    """An immutable, ordered, JSON-friendly mapping (column name -> value)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, V] | None = None) -> None:
        self._data: dict[str, V] = dict(data or {})

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and list(self.items()) == list(other.items())

    def __hash__(self) -> int:
        return hash(tuple(self._data))

    def __repr__(self) -> str:
        return repr(self._data)

    def to_dict(self) -> dict[str, V]:
        return dict(self._data)


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What a piece of data is, exactly, plus a small description of it.

    Attributes:
        digest: 32 hex chars, xxh3-128 of the canonical encoding; equal data, equal digest.
        kind: the source type, e.g. ``"pandas.DataFrame"``, ``"numpy.ndarray"``, ``"file"``.
        shape: rows and columns for tables, the array shape, byte size of a file or bytes,
            entry count of a directory.
        schema: column name -> logical type (Arrow names: ``int64``, ``string``, ...).
        columns: column name -> column digest (directories: relative path -> file digest).
        profile: column name -> per-column profile (see ``core.profile.profile_column``).
        row_sketch: bottom-k sketch of row hashes, only with ``fingerprint(obj, rows=True)``.

    Two fingerprints are ``==`` when digest, kind, shape, schema and column digests match;
    the profile and sketch are derived data and do not take part.
    """

    digest: str
    kind: str
    shape: tuple[int, ...] = ()
    schema: Mapping[str, str] = field(default_factory=FrozenMap)
    columns: Mapping[str, str] = field(default_factory=FrozenMap)
    profile: Mapping[str, Mapping[str, Any]] = field(default_factory=FrozenMap)
    row_sketch: Any = None

    def _identity(self) -> tuple[Any, ...]:
        return (self.digest, self.kind, tuple(self.shape), tuple(self.schema.items()), tuple(self.columns.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash((self.digest, self.kind))

    def __repr__(self) -> str:
        return (f"Fingerprint(digest={self.digest!r}, kind={self.kind!r}, shape={tuple(self.shape)!r}, "
                f"columns={len(self.schema)})")

    @property
    def short(self) -> str:
        """The first 12 hex chars of the digest, for display."""
        return self.digest[:12]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (what the store keeps)."""
        return {
            "version": 1, "digest": self.digest, "kind": self.kind, "shape": list(self.shape),
            "schema": dict(self.schema), "columns": dict(self.columns),
            "profile": {k: dict(v) for k, v in self.profile.items()},
            "row_sketch": self.row_sketch.to_dict() if self.row_sketch is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fingerprint:
        """Rebuild a fingerprint from ``to_dict()`` output."""
        sketch = data.get("row_sketch")
        if isinstance(sketch, Mapping):
            from mlm_jupyter.core.row_sketch import RowSketch

            sketch = RowSketch.from_dict(sketch)
        return cls(digest=str(data["digest"]), kind=str(data.get("kind", "")),
                   shape=tuple(int(s) for s in data.get("shape") or ()),
                   schema=FrozenMap(data.get("schema") or {}), columns=FrozenMap(data.get("columns") or {}),
                   profile=FrozenMap(data.get("profile") or {}), row_sketch=sketch)


def supported_kind(obj: Any) -> str | None:
    """The fingerprint kind of ``obj`` (``"pandas.DataFrame"``, ``"bytes"``, ``"path"``...) or ``None``."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(obj, (str, os.PathLike)):
        return "path"
    for cls in type(obj).__mro__:
        kind = _KINDS.get((cls.__module__.partition(".")[0], cls.__name__))
        if kind is not None:
            if kind == "numpy.ndarray" and type(obj) is not np.ndarray and _hint(obj):
                return None
            return kind
    return None


def _hint(obj: Any) -> str | None:
    for cls in type(obj).__mro__:
        hint = _UNSUPPORTED_HINTS.get((cls.__module__.partition(".")[0], cls.__name__))
        if hint:
            return hint
    return None


def is_supported(obj: Any) -> bool:
    """Cheap check (no imports, no hashing) that ``fingerprint(obj)`` accepts ``obj``.

    Strings count only as paths and ``fingerprint`` will hash the file they
    name, so per-cell capture should screen ``str`` values out itself: this
    returns ``False`` for ``str`` and ``True`` for ``os.PathLike``.
    """
    if isinstance(obj, str):
        return False
    return supported_kind(obj) is not None


def fingerprint(obj: Any, *, rows: bool = False, profile: bool = True, cache: Any = None) -> Fingerprint:
    """Exact fingerprint of a data object, file or directory.

    Args:
        obj: pandas DataFrame/Series/Index, polars DataFrame/Series, pyarrow
            Table/RecordBatch/Array/ChunkedArray, numpy array, torch tensor,
            bytes, or a path (``str`` or ``pathlib.Path``) to a file or directory.
        rows: also compute the row sketch (a full extra pass; needed for row
            overlap in ``diff_data``).
        profile: compute the per-column profile (from a sample of at most
            100,000 rows seeded by the digest). ``False`` gives digest only.
        cache: file-hash cache for paths (``core.filehash``); default: per process.

    Returns:
        The ``Fingerprint``.

    Raises:
        UnsupportedTypeError: ``obj`` is of a type with no canonical encoding.
        NotFoundError: ``obj`` is a path to nothing.
        PermissionDeniedError: a file under the path cannot be read.
    """
    kind = supported_kind(obj)
    if kind is None:
        hint = _hint(obj)
        raise UnsupportedTypeError(
            f"cannot fingerprint a {type(obj).__module__}.{type(obj).__qualname__}: "
            + (hint if hint else "supported are pandas, polars and pyarrow tables/columns, numpy arrays, torch "
               "tensors, bytes and file or directory paths; convert the object to one of them"),
            type=f"{type(obj).__module__}.{type(obj).__qualname__}")
    builder = _BUILDERS[kind]
    return builder(obj, kind, rows, profile, cache)


# ----------------------------------------------------------------------------- builders

def _seed(rows: int) -> int:
    """Seed of the profile's row sample: a function of the row count only, so the sample is
    known before any value is hashed (profiles overlap with hashing) and two versions of a
    dataset with the same length sample the same rows."""
    return 0x6D6C6D2D70726F66 ^ rows  # "mlm-prof"


def _profiles(keys: list[str], columns: Callable[[np.ndarray | None], list[Any]], total: int,
              enabled: bool) -> FrozenMap[dict[str, Any]]:
    if not enabled or not keys:
        return FrozenMap()
    from mlm_jupyter.core.profile import profile_column, sample_indices

    try:
        picked = columns(sample_indices(total, _seed(total)))
    except Exception:  # noqa: BLE001 -- a profile is a description; never fail the digest for it
        return FrozenMap()
    from mlm_jupyter.core.fingerprint_tables import map_columns

    def one(column: Any) -> dict[str, Any]:
        try:
            return profile_column(column, total)
        except Exception:  # noqa: BLE001 -- an unprofilable column keeps the fingerprint valid
            return {"count": total, "sample": 0}

    sampled = len(picked[0]) if picked else 0
    return FrozenMap(dict(zip(keys, map_columns(one, picked, sampled * 8 * len(picked) * 64))))


def _sketch(columns: Callable[[], list[Any]], total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from mlm_jupyter.core.row_sketch import column_row_hashes, combine_row_hashes, sketch_rows

    return sketch_rows(combine_row_hashes((column_row_hashes(c) for c in columns()), total))


def _table_fp(encoding: Any, kind: str, shape: tuple[int, ...],
              sample: Callable[[np.ndarray | None], list[Any]] | list[dict[str, Any]],
              full: Callable[[], list[Any]], rows: bool, profile: bool) -> Fingerprint:
    """``sample`` gives the sampled columns to profile, or is the list of profiles already made."""
    from mlm_jupyter.core.fingerprint_tables import column_key

    keys = column_key(encoding.names)
    profiles = (FrozenMap(dict(zip(keys, sample))) if profile else FrozenMap()) if isinstance(sample, list) \
        else _profiles(keys, sample, encoding.rows, profile)
    return Fingerprint(
        digest=encoding.digest.hex(), kind=kind, shape=shape,
        schema=FrozenMap(dict(zip(keys, encoding.types))),
        columns=FrozenMap({k: d.hex() for k, d in zip(keys, encoding.column_digests)}),
        profile=profiles, row_sketch=_sketch(full, encoding.rows, rows))


def _pandas_values(values: Any) -> Any:
    from mlm_jupyter.core.fingerprint_tables import pandas_column_to_arrow

    if type(values).__name__ == "NumpyExtensionArray":  # a numpy-backed column: hash its numpy values
        values = values.to_numpy()
    if isinstance(values.dtype, np.dtype) and values.dtype.kind != "O":
        return np.asarray(values)
    return pandas_column_to_arrow(values)


def _sample_pandas(values: Any, idx: np.ndarray | None) -> Any:
    """Sampled rows of a pandas column as Arrow (numpy columns are gathered before converting)."""
    from mlm_jupyter.core.fingerprint_tables import pandas_column_to_arrow

    dtype = getattr(values.dtype, "numpy_dtype", values.dtype) if type(values).__name__ == \
        "NumpyExtensionArray" else values.dtype
    if isinstance(dtype, np.dtype):
        array = np.asarray(values)
        return pandas_column_to_arrow(array if idx is None else array[idx])
    arrow = pandas_column_to_arrow(values)
    return arrow if idx is None else arrow.take(idx)


def _take_sorted(arrow: Any, idx: np.ndarray) -> Any:
    """``arrow.take(idx)`` for sorted ``idx``, chunk by chunk (Arrow's take resolves chunks per index:
    3x slower on a chunked column)."""
    import pyarrow as pa

    if not isinstance(arrow, pa.ChunkedArray) or arrow.num_chunks < 2:
        return arrow.take(idx)
    starts = np.cumsum([0] + [len(chunk) for chunk in arrow.chunks])
    cuts = np.searchsorted(idx, starts)
    return pa.chunked_array([chunk.take(idx[cuts[k]:cuts[k + 1]] - starts[k]) for k, chunk in enumerate(arrow.chunks)],
                            arrow.type)


class _ColumnProfiler:
    """Profiles column ``i`` of a frame from the shared row sample, as soon as the column is hashed.

    Called from the fingerprint pool's threads: the sample is drawn once, under a lock.
    """

    def __init__(self, total: int, values: Callable[[int], Any]) -> None:
        self.total = total
        self.values = values
        self._lock = threading.Lock()
        self._sample: tuple[np.ndarray | None] | None = None

    def _indices(self) -> np.ndarray | None:
        with self._lock:
            if self._sample is None:
                from mlm_jupyter.core.profile import sample_indices

                self._sample = (sample_indices(self.total, _seed(self.total)),)
            return self._sample[0]

    def __call__(self, i: int, arrow: Any) -> dict[str, Any]:
        from mlm_jupyter.core.profile import profile_column

        try:
            idx = self._indices()
            if arrow is not None:  # the Arrow strings the digest just made: no second conversion
                column = arrow if idx is None else _take_sorted(arrow, idx)
            else:
                column = _sample_pandas(self.values(i), idx)
            return profile_column(column, self.total)
        except Exception:  # noqa: BLE001 -- an unprofilable column keeps the fingerprint valid
            return {"count": self.total, "sample": 0}


def _pandas_frame(df: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core.fingerprint_tables import encode_pandas_frame

    profiler = _ColumnProfiler(len(df), lambda i: df.iloc[:, i].array) if profile else None
    encoding, profiles = encode_pandas_frame(df, profiler)
    return _table_fp(encoding, kind, tuple(df.shape), profiles,
                     lambda: [_pandas_values(df.iloc[:, i].array) for i in range(df.shape[1])], rows, profile)


def _pandas_series(series: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core.fingerprint_tables import encode_pandas_index, encode_pandas_series, pandas_column_to_arrow

    if kind == "pandas.Index":
        encoding = encode_pandas_index(series)
        levels = [series.get_level_values(i) for i in range(series.nlevels)]
    else:
        encoding = encode_pandas_series(series)
        levels = [series]

    def sample(idx: np.ndarray | None) -> list[Any]:
        return [pandas_column_to_arrow(level.array if idx is None else level.array.take(idx)) for level in levels]

    shape = (len(series),) if len(levels) == 1 else (len(series), len(levels))
    return _table_fp(encoding, kind, shape, sample, lambda: [_pandas_values(level.array) for level in levels],
                     rows, profile)


def _arrow(obj: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core.fingerprint_tables import encode_arrow_column, encode_arrow_table

    if kind in ("pyarrow.Table", "pyarrow.RecordBatch"):
        encoding = encode_arrow_table(obj)
        columns = list(obj.columns)
        shape: tuple[int, ...] = (obj.num_rows, obj.num_columns)
    else:
        encoding = encode_arrow_column(obj)
        columns = [obj]
        shape = (len(obj),)

    def sample(idx: np.ndarray | None) -> list[Any]:
        return columns if idx is None else [c.take(idx) for c in columns]

    return _table_fp(encoding, kind, shape, sample, lambda: columns, rows, profile)


def _polars_to_arrow(obj: Any, schema: dict[str, Any]) -> Any:
    """``obj.to_arrow()``, refusing columns whose Arrow export is not their values."""
    for name, dtype in schema.items():
        if "Object" in str(dtype):  # polars exports Python objects as 8-byte memory addresses
            raise UnsupportedTypeError(
                f"cannot fingerprint polars column {name!r} of dtype {dtype}: it holds Python objects, whose "
                "Arrow export is their memory addresses; cast it to a data type (e.g. pl.String) first",
                column=name, dtype=str(dtype))
    try:
        return obj.to_arrow()
    except Exception as error:  # noqa: BLE001 -- polars raises plain Arrow/compute errors here
        raise UnsupportedTypeError(
            f"cannot fingerprint this polars {type(obj).__name__}: its Arrow export failed ({error}); cast "
            "columns of types Arrow lacks (e.g. Int128 to pl.Decimal(38, 0) or Int64) first",
            dtypes=str(schema)) from error


def _polars(obj: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core.fingerprint_tables import encode_arrow_column, encode_arrow_table

    if kind == "polars.DataFrame":
        table = _polars_to_arrow(obj, dict(obj.schema))
        encoding = encode_arrow_table(table)
        columns = list(table.columns)
        shape: tuple[int, ...] = (obj.height, obj.width)
    else:
        column = _polars_to_arrow(obj, {obj.name: obj.dtype})
        encoding = encode_arrow_column(column, obj.name)
        columns = [column]
        shape = (len(obj),)

    def sample(idx: np.ndarray | None) -> list[Any]:
        return columns if idx is None else [c.take(idx) for c in columns]

    return _table_fp(encoding, kind, shape, sample, lambda: columns, rows, profile)


def _array_columns(arr: np.ndarray) -> tuple[list[str], Callable[[np.ndarray | None], list[Any]]]:
    import pyarrow as pa

    def arrow(values: np.ndarray) -> Any:
        if values.dtype.kind == "f" and values.dtype.itemsize > 8:
            values = values.astype(np.float64)  # profiles are approximate; Arrow has no long double
        return pa.array(np.ascontiguousarray(values), from_pandas=True)

    if arr.ndim == 2 and arr.shape[1] <= 1000:
        keys = [str(j) for j in range(arr.shape[1])]
        return keys, lambda idx: [arrow((arr if idx is None else arr[idx])[:, j]) for j in range(arr.shape[1])]

    def flat(idx: np.ndarray | None) -> list[Any]:
        if idx is None:
            return [arrow(arr.reshape(-1))]
        return [arrow(arr[np.unravel_index(idx, arr.shape)])]

    return ["values"], flat


def _ndarray(obj: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core.fingerprint_arrays import ndarray_digest, torch_to_numpy

    override = None
    arr = obj
    if kind == "torch.Tensor":
        arr, override = torch_to_numpy(obj)
    logical, raw = ndarray_digest(arr, override)
    keys, sample = _array_columns(arr) if arr.dtype.kind in "biufmMUS" and override is None else ([], None)
    prof = _profiles(keys, sample, arr.size if keys == ["values"] else (arr.shape[0] if arr.ndim else 1),
                     profile) if sample is not None else FrozenMap()

    def full() -> list[Any]:
        if arr.ndim <= 1:
            return [arr.reshape(-1)]
        matrix = arr.reshape(arr.shape[0], -1)
        return [matrix[:, j] for j in range(matrix.shape[1])]

    total = arr.shape[0] if arr.ndim else 1
    return Fingerprint(digest=raw.hex(), kind=kind, shape=tuple(int(s) for s in arr.shape),
                       schema=FrozenMap({"values": logical}), profile=prof,
                       row_sketch=_sketch(full, total, rows) if arr.dtype.kind != "V" else None)


def _bytes(obj: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    import xxhash

    from mlm_jupyter.core.fingerprint_arrays import blob_header

    view = memoryview(obj)
    if not view.contiguous:
        view = memoryview(view.tobytes())
    view = view.cast("B") if view.format != "B" or view.ndim != 1 else view
    hasher = xxhash.xxh3_128(blob_header(view.nbytes))
    hasher.update(view)
    digest = hasher.hexdigest()
    return Fingerprint(digest=digest, kind="bytes", shape=(view.nbytes,))


def _path(obj: Any, kind: str, rows: bool, profile: bool, cache: Any) -> Fingerprint:
    from mlm_jupyter.core import filehash

    store_cache = cache if cache is not None else filehash.DEFAULT_CACHE
    path = os.fspath(obj)
    if os.path.isdir(path):
        digest, entries = filehash.hash_directory(path, store_cache)
        files = [e for e in entries if e.kind == "file"]
        return Fingerprint(digest=digest, kind="directory", shape=(len(files),),
                           columns=FrozenMap({e.path: e.digest for e in entries if e.kind != "dir"}),
                           profile=FrozenMap({"files": {"count": len(files), "bytes": sum(e.size for e in files),
                                                        "entries": len(entries)}}) if profile else FrozenMap())
    if not os.path.exists(path):
        raise NotFoundError(f"no file or directory at {path!r}; check the path (strings are read as paths)",
                            path=path)
    digest = filehash.hash_file(path, store_cache)
    store_cache.flush()
    size = os.stat(os.path.realpath(path)).st_size
    return Fingerprint(digest=digest, kind="file", shape=(size,))


_BUILDERS: dict[str, Callable[[Any, str, bool, bool, Any], Fingerprint]] = {
    "pandas.DataFrame": _pandas_frame,
    "pandas.Series": _pandas_series,
    "pandas.Index": _pandas_series,
    "polars.DataFrame": _polars,
    "polars.Series": _polars,
    "pyarrow.Table": _arrow,
    "pyarrow.RecordBatch": _arrow,
    "pyarrow.Array": _arrow,
    "pyarrow.ChunkedArray": _arrow,
    "numpy.ndarray": _ndarray,
    "torch.Tensor": _ndarray,
    "bytes": _bytes,
    "path": _path,
}
