"""Fingerprints of live values, cached by identity with a change check that is safe, else rehashed.

The rule (when may a digest computed earlier be reused for the same object?):

* **pyarrow** Tables, RecordBatches, Arrays and ChunkedArrays are immutable:
  same live object (weak reference and ``id``) means same data.
* **pandas** DataFrames and Series (pandas >= 3, where Copy-on-Write is always
  on): when a frame is hashed we keep a *sentinel*, a shallow copy that
  shares its blocks. Under Copy-on-Write every in-place write made through
  pandas (``loc``/``iloc``/``at`` assignment, ``inplace=True`` methods,
  ``df[col] = ...``) must copy a block that another frame references, so it
  replaces the frame's block arrays. The frame is unchanged when it is the
  same live object, its block manager, every block array and both axes are
  the very same objects, and no new reference to a block's memory appeared
  since hashing (a numpy view someone forced writable would add one). What
  this cannot see is a write through numpy memory the frame never owned (a
  frame built with ``copy=False`` from an array that is written later); to
  stay safe, a frame whose blocks' memory is referenced from outside pandas
  when it is hashed is never cached.
* **everything else** (numpy arrays, polars, torch, paths) has no cheap
  check that is safe: numpy memory can be written through any view, so it
  is hashed again whenever a cell touches it (hashing runs at memory speed).
  Paths are cached by the fingerprint engine itself (inode, mtime, size).

``FingerprintCache`` takes the fingerprint function as an argument, so the
engine can be swapped (or faked in tests).
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["CachedFingerprint", "FingerprintCache", "kind_of"]

_ARROW = frozenset({"Table", "RecordBatch", "Array", "ChunkedArray"})


def kind_of(obj: Any) -> str | None:
    """``"arrow"``, ``"pandas"`` or ``None`` (no identity cache) for a value."""
    module = type(obj).__module__.partition(".")[0]
    if module == "pyarrow":
        for cls in type(obj).__mro__:
            if cls.__name__ in _ARROW:
                return "arrow"
        return None
    if module == "pandas" and type(obj).__name__ in ("DataFrame", "Series"):
        return "pandas"
    return None


@dataclass
class CachedFingerprint:
    digest: str
    kind: str | None
    fingerprint: Any
    rehashed: bool


def _ndarray_root(values: Any) -> Any:
    import numpy as np

    root = values
    while isinstance(root, np.ndarray) and isinstance(root.base, np.ndarray):
        root = root.base
    return root


class _PandasSeal:
    """Identity of a pandas object's blocks and axes, with a sentinel that forces Copy-on-Write."""

    def __init__(self, obj: Any) -> None:
        mgr = obj._mgr
        self.mgr = weakref.ref(mgr)
        self.axes = tuple(id(axis) for axis in mgr.axes)
        self.values = tuple(id(block.values) for block in mgr.blocks)
        self.sentinel = obj.copy(deep=False)
        self.refcounts = self._refcounts(obj)
        self.sealed = self._exclusive(obj)

    @staticmethod
    def _refcounts(obj: Any) -> tuple[int, ...]:
        return tuple(sys.getrefcount(_ndarray_root(block.values)) for block in obj._mgr.blocks)

    def _exclusive(self, obj: Any) -> bool:
        """Whether every block's memory is held only by pandas (this frame and the sentinel)."""
        import numpy as np

        for block, sentinel_block in zip(obj._mgr.blocks, self.sentinel._mgr.blocks):
            if not isinstance(block.values, np.ndarray):
                continue  # extension arrays: pandas owns them; their writes go through pandas
            if id(_ndarray_root(sentinel_block.values)) != id(_ndarray_root(block.values)):
                return False
            # held by: the block (itself or via .base), the sentinel's view (.base), getrefcount's argument
            if sys.getrefcount(_ndarray_root(block.values)) > 3:
                return False
        return True

    def unchanged(self, obj: Any) -> bool:
        mgr = obj._mgr
        return (self.sealed and self.mgr() is mgr
                and tuple(id(axis) for axis in mgr.axes) == self.axes
                and tuple(id(block.values) for block in mgr.blocks) == self.values
                and self._refcounts(obj) == self.refcounts)


@dataclass
class _Entry:
    ref: Any
    seal: _PandasSeal | None
    result: CachedFingerprint


class FingerprintCache:
    """Digest per live object; reused only when the rule in this module's docstring allows.

    Args:
        fingerprint: ``fn(obj) -> Fingerprint`` (anything with ``.digest`` and ``.kind``).
    """

    def __init__(self, fingerprint: Callable[[Any], Any]) -> None:
        self.fingerprint = fingerprint
        self._entries: dict[int, _Entry] = {}
        self.hashes = 0
        self.hits = 0

    def _drop(self, key: int) -> None:
        self._entries.pop(key, None)

    def get(self, obj: Any) -> CachedFingerprint:
        """The object's fingerprint, from the cache when provably unchanged."""
        key = id(obj)
        entry = self._entries.get(key)
        if entry is not None:
            if entry.ref() is obj and (entry.seal is None or entry.seal.unchanged(obj)):
                self.hits += 1
                return CachedFingerprint(entry.result.digest, entry.result.kind, entry.result.fingerprint, False)
            self._entries.pop(key, None)
            entry = None  # release the old sentinel before sealing again (it shares unchanged blocks)
        fp = self.fingerprint(obj)
        self.hashes += 1
        result = CachedFingerprint(str(fp.digest), getattr(fp, "kind", None), fp, True)
        family = kind_of(obj)
        if family is not None:
            try:
                seal = _PandasSeal(obj) if family == "pandas" else None
                if seal is None or seal.sealed:
                    self._entries[key] = _Entry(weakref.ref(obj, lambda _r, k=key: self._drop(k)), seal, result)
            except (TypeError, AttributeError):  # no weak references or unexpected internals: never cache
                pass
        return result

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
