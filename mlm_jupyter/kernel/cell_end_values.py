"""A cell's values as they were when it ended, for fingerprints taken later in the background.

The post-run hook does not hash (that would put hashing on the cell's path);
the background thread hashes in the next pause. Under "Run All" that pause may
come several cells later, and a later cell may have changed a value in place
meanwhile (``df.loc[0, "a"] = 1``, ``X -= X.mean(0)``, a file written again).
Hashing the live value then would record the later state under the earlier
cell, and the later cell's change would go unseen.

So the post hook keeps, per value, what lets the background thread hash the
state at the cell's end, at a cost of microseconds:

* **pandas** (Copy-on-Write, pandas >= 3): a shallow copy of its block manager. It shares the
  blocks, so it costs no memory until someone writes in place, and then
  Copy-on-Write gives the writer new blocks and leaves the copy as it was.
  If the frame's blocks are still the same objects when it is hashed, the
  live frame is hashed (and the fingerprint cache keeps working); else the copy.
* **numpy** arrays up to ``COPY_LIMIT`` bytes (``CELL_COPY_BUDGET`` per cell):
  a copy, which is what gets hashed. Bigger arrays: a *witness* (shape,
  strides, dtype, address and 256 sampled elements). If the witness differs
  when the array is hashed, the array changed and is left alone rather than
  fingerprinted in its later state; a change the sample misses is not seen.
* **files** (a path string or ``os.PathLike``): ``os.stat`` (inode, size,
  modification time). A file written again before it was hashed is left alone.

Everything else is kept as the live value, as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["CELL_COPY_BUDGET", "CHANGED", "COPY_LIMIT", "MAX_KEPT_PER_CELL", "AtCellEnd", "at_cell_end", "resolve"]

COPY_LIMIT = 1024 * 1024  # numpy arrays up to this size are copied at the cell's end
CELL_COPY_BUDGET = 1024 * 1024  # bytes of numpy copies per cell (the queue holds at most 64 cells' worth)
MAX_KEPT_PER_CELL = 64  # values per cell that keep their cell-end state (each costs microseconds)
_SAMPLE = 256


class _Changed:
    """The value changed after its cell ended and before it could be hashed."""

    def __repr__(self) -> str:
        return "CHANGED"


CHANGED: Any = _Changed()


class AtCellEnd:
    """A value and what it takes to hash its state at the end of the cell that named it."""

    __slots__ = ("value", "kind", "kept")

    def __init__(self, value: Any, kind: str, kept: Any) -> None:
        self.value = value
        self.kind = kind  # "pandas", "numpy-copy", "numpy-witness" or "file"
        self.kept = kept

    def resolve(self) -> Any:
        """The object to hash (the live value or its state at the cell's end), or ``CHANGED``."""
        kept, self.kept = self.kept, None  # release the copy: the fingerprint cache counts references
        if self.kind == "pandas":
            return self.value if _same_blocks(self.value, kept[0]) else _rebuild(self.value, kept)
        if self.kind == "numpy-copy":
            return kept
        if self.kind == "numpy-witness":
            return self.value if _witness(self.value) == kept else CHANGED
        if self.kind == "file":
            return self.value if _stat(self.value) == kept else CHANGED
        return self.value


def resolve(value: Any) -> Any:
    """``value`` itself, or what an ``AtCellEnd`` stands for."""
    return value.resolve() if isinstance(value, AtCellEnd) else value


def at_cell_end(values: Mapping[str, Any], frame_limit: float = float("inf"),
                recent: dict[int, tuple[Any, AtCellEnd]] | None = None) -> dict[str, Any]:
    """``values`` with each pandas frame, numpy array and file path wrapped in an ``AtCellEnd``.

    ``frame_limit``: frames with more bytes of column memory keep no copy (a copy makes the user's next
    in-place write copy the block it writes to, which on a huge frame is a cost a cell would feel).
    ``recent``: the frames kept for earlier cells not hashed yet (the caller clears it once they are).
    A frame whose blocks are still the ones kept then shares that copy (its state is the same): under
    Run All most cells name the same few frames, and each copy is ~15 objects that count towards the
    notebook's next garbage collection (docs/kernel-capture.md).

    Runs in the post-run hook: type checks by module name (nothing is imported), a shallow copy per
    frame, a copy per small array within ``CELL_COPY_BUDGET``, a ``stat`` per path. Any failure keeps
    the live value (the behaviour before this module existed).
    """
    budget = CELL_COPY_BUDGET
    wrapped = 0
    stats = 0  # a stat costs 5-7 us found or not: a config cell of URLs and dotted names must not pay hundreds
    out: dict[str, Any] = {}
    for name, value in values.items():
        kept: AtCellEnd | None = None
        if wrapped >= MAX_KEPT_PER_CELL:  # a cell naming hundreds of frames: the rest stay live
            out[name] = value
            continue
        try:
            kind = _family(value)
            if kind in ("DataFrame", "Series") and _copy_on_write():
                if _frame_bytes(value) <= frame_limit:
                    kept = _frame_kept(value, recent, kind == "Series")
            elif kind == "ndarray" and value.dtype.kind != "O":
                if value.nbytes <= COPY_LIMIT and value.nbytes <= budget:
                    budget -= value.nbytes
                    kept = AtCellEnd(value, "numpy-copy", value.copy())
                else:
                    kept = AtCellEnd(value, "numpy-witness", _witness(value))
            elif stats < MAX_KEPT_PER_CELL and (
                    (isinstance(value, str) and 0 < len(value) < 4096 and "\n" not in value
                     and ("/" in value or "\\" in value or "." in value)) or isinstance(value, os.PathLike)):
                stats += 1
                stat = _stat(value)
                if stat is not None:
                    kept = AtCellEnd(value, "file", stat)
        except Exception:  # noqa: BLE001 -- an odd value is kept live, as before
            kept = None
        wrapped += kept is not None
        out[name] = kept if kept is not None else value
    return out


def _family(value: Any) -> str | None:
    """"DataFrame" or "Series" for a pandas frame or series, "ndarray" for a numpy array, subclasses included
    (geopandas' GeoDataFrame, ``np.memmap``), else ``None``; by module name: nothing is imported."""
    for klass in type(value).__mro__[:-1]:  # not object
        module, name = klass.__module__, klass.__name__
        if name in ("DataFrame", "Series") and module.partition(".")[0] == "pandas":
            return str(name)
        if name == "ndarray" and module == "numpy":
            return "ndarray"
    return None


def _frame_kept(frame: Any, recent: dict[int, tuple[Any, AtCellEnd]] | None, series: bool) -> AtCellEnd:
    """A frame's cell-end state: the copy kept for an earlier cell if no write replaced a block since, else
    a new shallow copy (remembered in ``recent``)."""
    earlier = recent.get(id(frame)) if recent is not None else None
    if earlier is not None and earlier[0] is frame:
        shared = earlier[1].kept  # read once: the background thread releases it when it hashes
        if shared is not None and _same_blocks(frame, shared[0]):
            return AtCellEnd(frame, "pandas", shared)
    kept = AtCellEnd(frame, "pandas", _shallow(frame, series))
    if recent is not None:
        recent[id(frame)] = (frame, kept)
    return kept


def _frame_bytes(frame: Any) -> int:
    """Bytes of a frame's column memory (object columns count their pointers only)."""
    return sum(int(getattr(block.values, "nbytes", 0)) for block in frame._mgr.blocks)


def _copy_on_write() -> bool:
    """Whether pandas protects a shallow copy from in-place writes (always from pandas 3)."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return False
    try:
        if int(str(pandas.__version__).partition(".")[0]) >= 3:
            return True
        return bool(pandas.get_option("mode.copy_on_write") is True)
    except Exception:  # noqa: BLE001 -- unknown pandas: treat as unprotected
        return False


def _shallow(frame: Any, series: bool) -> tuple[Any, Any, bool]:
    """The frame's block manager, shallow-copied (8 us; ``frame.copy(deep=False)`` takes 12-23 us), and, for a
    Series, its name, which lives outside the manager."""
    return frame._mgr.copy(deep=False), getattr(frame, "name", None) if series else None, series


def _rebuild(live: Any, kept: tuple[Any, Any, bool]) -> Any:
    """A frame of the live one's type over the kept manager (the state at the cell's end)."""
    manager, name, series = kept
    frame = type(live)._from_mgr(manager, axes=manager.axes)
    if series:
        frame.name = name
    return frame


def _same_blocks(live: Any, copy: Any) -> bool:
    """Whether ``live`` still has the axes and block memory ``copy`` shares (no write replaced any).

    Any doubt answers ``False``: the copy is the cell-end state in every case, the live frame is only
    preferred because the fingerprint cache knows it."""
    try:
        a, b = live._mgr, copy  # the kept block manager
        if len(a.blocks) != len(b.blocks) or len(a.axes) != len(b.axes):
            return False
        if not all(_same_axis(x, y) for x, y in zip(a.axes, b.axes)):
            return False
        return all(_memory(x.values) == _memory(y.values) and x.values.shape == y.values.shape
                   for x, y in zip(a.blocks, b.blocks))
    except Exception:  # noqa: BLE001 -- unexpected internals: hash the copy
        return False


def _same_axis(live: Any, copy: Any) -> bool:
    """Whether an index is still the one the copy shares (index data is immutable: shared data, same labels)."""
    if live is copy:
        return True
    if type(live) is not type(copy) or len(live) != len(copy):
        return False
    if type(live).__name__ == "RangeIndex":
        return bool(live.equals(copy))  # start, stop, step
    data = getattr(live, "_data", None)
    return data is not None and _base(data) is _base(getattr(copy, "_data", None))


def _memory(values: Any) -> tuple[int, ...]:
    """Identities of the memory behind a block's values (numpy arrays and pandas' extension arrays)."""
    if type(values).__name__ == "ndarray":
        return (id(_base(values)),)
    for names in (("_pa_array",), ("_ndarray",), ("_data", "_mask"), ("_codes",)):
        parts = [getattr(values, name, None) for name in names]
        if all(part is not None for part in parts):
            return tuple(id(_base(part)) for part in parts)
    return (id(values),)  # unknown: only the very same object counts as unchanged


def _base(values: Any) -> Any:
    root = values
    while getattr(root, "base", None) is not None and type(root.base).__name__ == "ndarray":
        root = root.base
    return root


def _witness(array: Any) -> tuple[Any, ...]:
    """Shape, strides, dtype, address and ``_SAMPLE`` evenly spread elements (first and last included)."""
    import numpy as np  # already imported: the value is a numpy array

    size = int(array.size)
    if size == 0:
        sample = b""
    else:
        positions = np.linspace(0, size - 1, min(size, _SAMPLE)).astype(np.intp)
        sample = array.flat[positions].tobytes()
    address = array.__array_interface__["data"][0]
    return array.shape, array.strides, array.dtype.str, address, sample


def _stat(value: Any) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(value)
    except (OSError, ValueError, TypeError):
        return None
    if not (stat.st_mode & 0o170000 == 0o100000):  # a regular file
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns
