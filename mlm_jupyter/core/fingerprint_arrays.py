"""Canonical encoding of array values (numpy, torch, bytes) into xxh3-128 column digests.

The byte-level rules live in ``docs/fingerprint.md``. Every encoder feeds a
``ColumnHasher``: three streams (null positions, value lengths, values) plus
child columns for nested types. Streams are hashed incrementally, so a column
split into chunks (Arrow chunking, row blocks of an F-ordered array) gives the
same digest as the same values in one contiguous buffer.
"""

from __future__ import annotations

import struct
import sys
from typing import Any, Iterator

import numpy as np
import xxhash

from mlm_jupyter.core.errors import UnsupportedTypeError

__all__ = [
    "ENCODING",
    "ColumnHasher",
    "add_numpy_values",
    "blob_header",
    "encode_name",
    "iter_c_order",
    "ndarray_digest",
    "numpy_logical_type",
    "torch_to_numpy",
    "u64",
]

ENCODING = b"mlm-fp/1\x00"
"""Prefix of every top-level digest; bump the number if the encoding ever changes."""

CHUNK_BYTES = 1 << 22  # 4 MiB: large enough for full hash speed, small enough to stay in cache
_INT64_MIN = np.iinfo(np.int64).min
_LITTLE = sys.byteorder == "little"


def u64(value: int) -> bytes:
    """Unsigned 64-bit little-endian encoding of a count or size."""
    return struct.pack("<Q", value)


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    return u64(len(data)) + data


def encode_name(name: Any) -> bytes:
    """Encode a column/series/index name: tagged, length-prefixed, never ``repr`` of floats' noise."""
    if name is None:
        return b"n"
    if isinstance(name, str):
        return b"s" + _text(name)
    if isinstance(name, (bool, np.bool_)):
        return b"b" + (b"1" if name else b"0")
    if isinstance(name, (int, np.integer)):
        return b"i" + _text(str(int(name)))
    if isinstance(name, tuple):
        return b"t" + u64(len(name)) + b"".join(encode_name(part) for part in name)
    return b"r" + _text(repr(name))


class ColumnHasher:
    """Streams one column's canonical encoding; ``digest()`` gives its 16-byte column digest."""

    __slots__ = ("_lengths", "_nulls", "_values", "children", "logical_type", "null_count", "rows")

    def __init__(self, logical_type: str) -> None:
        self.logical_type = logical_type
        self.rows = 0
        self.null_count = 0
        self._nulls = xxhash.xxh3_128()
        self._lengths = xxhash.xxh3_128()
        self._values = xxhash.xxh3_128()
        self.children: list[ColumnHasher] = []

    def add_nulls(self, local_positions: np.ndarray) -> None:
        """Record null rows (positions relative to the chunk being added)."""
        if len(local_positions):
            positions = local_positions.astype("<u8") + np.uint64(self.rows)
            self._nulls.update(np.ascontiguousarray(positions).data.cast("B"))
            self.null_count += len(local_positions)

    def add_lengths(self, lengths: np.ndarray) -> None:
        if lengths.dtype == np.int64 and lengths.flags.c_contiguous and _LITTLE:
            lengths = lengths.view(np.uint64)  # lengths are never negative: same bytes, no copy
        self._lengths.update(np.ascontiguousarray(lengths, dtype="<u8").data.cast("B"))

    def add_bytes(self, data: Any) -> None:
        self._values.update(data)

    def advance(self, rows: int) -> None:
        """Close a chunk of ``rows`` rows (call after its nulls, lengths and values are added)."""
        self.rows += rows

    def child(self, index: int, logical_type: str) -> ColumnHasher:
        while len(self.children) <= index:
            self.children.append(ColumnHasher(logical_type))
        return self.children[index]

    def digest(self) -> bytes:
        parts = [b"col\x00", _text(self.logical_type), u64(self.rows), self._nulls.digest(),
                 self._lengths.digest(), self._values.digest(), u64(len(self.children))]
        parts.extend(child.digest() for child in self.children)
        return xxhash.xxh3_128_digest(b"".join(parts))


def numpy_logical_type(dtype: np.dtype[Any]) -> str:
    """The logical type name of a numpy dtype (shared with Arrow names where they meet)."""
    kind = dtype.kind
    if dtype.names is not None:
        fields = ", ".join(f"{name}: {numpy_logical_type(dtype[name])}" for name in dtype.names)
        return f"struct<{fields}>"
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return f"array<{numpy_logical_type(base)}>{list(shape)}"
    if kind == "b":
        return "bool"
    if kind in "iu":
        return f"{'int' if kind == 'i' else 'uint'}{dtype.itemsize * 8}"
    if kind == "f":
        if dtype.itemsize > 8:
            return "float80" if np.finfo(dtype).nmant == 63 else f"float{dtype.itemsize * 8}"
        return f"float{dtype.itemsize * 8}"
    if kind == "c":
        if dtype.itemsize > 16:
            return "complex160" if np.finfo(dtype).nmant == 63 else f"complex{dtype.itemsize * 8}"
        return f"complex{dtype.itemsize * 8}"
    if kind in "mM":
        unit, count = np.datetime_data(dtype)
        unit = unit if count == 1 else f"{count}{unit}"
        return f"{'timestamp' if kind == 'M' else 'duration'}[{unit}]"
    if kind == "U":
        return f"fixed_unicode[{dtype.itemsize // 4}]"
    if kind in "SV":
        return f"fixed_binary[{dtype.itemsize}]"
    raise UnsupportedTypeError(f"numpy dtype {dtype} has no canonical encoding; convert the array first",
                               dtype=str(dtype))


def iter_c_order(arr: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> Iterator[np.ndarray]:
    """Yield 1-D C-contiguous pieces whose concatenation is ``arr`` in row-major order.

    Memory stays bounded: non-contiguous arrays (F order, strided views) are
    copied one block of the leading axis at a time.
    """
    if arr.ndim == 0:
        yield np.ascontiguousarray(arr).reshape(1)
        return
    if arr.flags.c_contiguous:
        flat = arr.reshape(-1)
        step = max(1, chunk_bytes // max(arr.itemsize, 1))
        for start in range(0, flat.shape[0], step):
            yield flat[start:start + step]
        return
    row_bytes = arr.itemsize * (arr.size // max(arr.shape[0], 1))
    if arr.ndim > 1 and row_bytes > chunk_bytes:
        for i in range(arr.shape[0]):
            yield from iter_c_order(arr[i], chunk_bytes)
        return
    rows = max(1, chunk_bytes // max(row_bytes, 1))
    for start in range(0, arr.shape[0], rows):
        yield np.ascontiguousarray(arr[start:start + rows]).reshape(-1)


def _little_endian(chunk: np.ndarray) -> np.ndarray:
    order = chunk.dtype.byteorder
    if order == ">" or (order == "=" and not _LITTLE):
        return chunk.astype(chunk.dtype.newbyteorder("<"))
    return chunk


def _canonical_floats(chunk: np.ndarray) -> np.ndarray:
    # max propagates NaN and is a SIMD reduction: one cheap pass, no temporary array.
    if chunk.size and np.isnan(chunk.max()):
        chunk = chunk.copy()
        chunk[np.isnan(chunk)] = np.nan  # one bit pattern for every NaN payload
    return chunk


def _as_bytes(chunk: np.ndarray) -> memoryview:
    return chunk.reshape(-1).view(np.uint8).data if chunk.size else memoryview(b"")


def _add_float80(hasher: ColumnHasher, chunk: np.ndarray) -> None:
    # x87 extended precision keeps 10 meaningful bytes inside 12 or 16; the rest is padding.
    real = (chunk.view(chunk.real.dtype) if chunk.dtype.kind == "c" else chunk).reshape(-1)
    raw = real.view(np.uint8).reshape(-1, real.dtype.itemsize)[:, :10]
    nans = np.isnan(real)
    if nans.any():
        raw = raw.copy()
        raw[nans] = np.array([np.nan], dtype=real.dtype).view(np.uint8)[:10]
    hasher.add_bytes(_as_bytes(np.ascontiguousarray(raw)))


def add_numpy_values(hasher: ColumnHasher, arr: np.ndarray) -> None:
    """Feed ``arr`` (any shape, any layout) as one chunk of ``arr.size`` rows of fixed-width values."""
    dtype = arr.dtype
    kind = dtype.kind
    if dtype.names is not None:
        for index, name in enumerate(dtype.names):
            field = arr[name]
            add_numpy_values(hasher.child(index, numpy_logical_type(field.dtype)), field)
        hasher.advance(arr.size)
        return
    if dtype.subdtype is not None:
        base = arr.view(np.dtype((dtype.subdtype[0], dtype.subdtype[1])))
        add_numpy_values(hasher.child(0, numpy_logical_type(dtype.subdtype[0])), base)
        hasher.advance(arr.size)
        return
    if kind == "O" or kind == "T":
        raise UnsupportedTypeError("object arrays go through the Arrow encoder", dtype=str(dtype))
    numpy_logical_type(dtype)  # validates
    offset = 0
    for chunk in iter_c_order(arr):
        chunk = _little_endian(chunk)
        if kind in "fc" and dtype.itemsize > (8 if kind == "f" else 16):
            _add_float80(hasher, chunk)
        elif kind == "f":
            hasher.add_bytes(_as_bytes(_canonical_floats(chunk)))
        elif kind == "c":
            hasher.add_bytes(_as_bytes(_canonical_floats(chunk.view(chunk.real.dtype))))
        elif kind in "mM":
            ints = chunk.view("<i8")
            if ints.size and ints.min() == _INT64_MIN:  # NaT is a null: position + zeroed slot
                positions = np.flatnonzero(ints == _INT64_MIN)
                hasher.add_nulls(positions + offset)
                ints = ints.copy()
                ints[positions] = 0
            hasher.add_bytes(_as_bytes(ints))
        elif kind == "b":
            hasher.add_bytes(_as_bytes(chunk.view(np.uint8)))
        else:
            hasher.add_bytes(_as_bytes(chunk))
        offset += chunk.size
    hasher.advance(arr.size)


def ndarray_digest(arr: np.ndarray, logical_type: str | None = None) -> tuple[str, bytes]:
    """Logical type and 16-byte digest of an n-d array: type, shape, then values in C order."""
    if arr.dtype.kind in "OT":
        from mlm_jupyter.core.fingerprint_tables import object_values_hasher

        hasher = object_values_hasher(arr.reshape(-1) if arr.flags.c_contiguous else arr.ravel(order="C"))
    else:
        hasher = ColumnHasher(logical_type or numpy_logical_type(arr.dtype))
        add_numpy_values(hasher, arr)
    header = ENCODING + b"ndarray\x00" + _text(hasher.logical_type) + u64(arr.ndim)
    header += b"".join(u64(dim) for dim in arr.shape)
    return hasher.logical_type, xxhash.xxh3_128_digest(header + hasher.digest())


def blob_header(size: int) -> bytes:
    """Prefix of the blob stream: bytes and files with equal content share a digest."""
    return ENCODING + b"blob\x00" + u64(size)


def torch_to_numpy(tensor: Any) -> tuple[np.ndarray, str | None]:
    """A CPU numpy view (or copy, for GPU/sparse tensors) plus a logical type override."""
    import torch

    t = tensor.detach()
    if t.layout != torch.strided:
        t = t.to_dense()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy(), "bfloat16"
    if str(t.dtype).startswith("torch.float8"):
        return t.view(torch.uint8).numpy(), str(t.dtype).removeprefix("torch.")
    return t.numpy(), None
