"""Which live values per-cell capture fingerprints: cheap checks made before any hashing is tried.

Capture runs outside the user's cell, so it must neither fail nor change what
the user sees. A value is left alone (``unsupported`` gives the reason) when:

* the engine has no encoding for it (tuples, lists, figures: ``is_supported``);
* it is a numpy object array whose elements are not all strings and nulls
  (``plt.subplots`` grids of ``Axes``, arrays of tuples): the engine would
  only fail on them, after converting them element by element;
* hashing it would import a library the user has not imported (object and
  string columns are read through pandas): importing pandas outside a cell
  changes its display options, and any new module in ``sys.modules`` can
  change how other libraries behave.

Values that pass and still fail in the engine (a pandas object column of
tuples) raise ``UnsupportedTypeError``, which capture records quietly too.

``%%track`` runs and ``mlm.log_input`` still try every value they are given.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["unsupported"]

_OBJECT_SCAN = 4096  # elements of an object array looked at (first and last); more is the engine's job


def _strings_only(values: Any) -> bool:
    flat = values.reshape(-1) if values.ndim != 1 else values
    n = len(flat)
    picked = flat if n <= _OBJECT_SCAN else list(flat[:_OBJECT_SCAN // 2]) + list(flat[-(_OBJECT_SCAN // 2):])
    for item in picked:
        if item is None or type(item) is str:
            continue
        if type(item) is float and item != item:  # NaN as a null
            continue
        return False
    return True


def unsupported(value: Any, is_supported: Any) -> str | None:
    """Why per-cell capture must not fingerprint ``value`` (a short type description), or ``None``."""
    if not is_supported(value):
        return f"{type(value).__module__}.{type(value).__qualname__}"
    module = type(value).__module__.partition(".")[0]
    if module == "numpy" and getattr(getattr(value, "dtype", None), "kind", None) in ("O", "T"):
        if "pandas" not in sys.modules:
            return "numpy object array (hashing it needs pandas, which this session has not imported)"
        if not _strings_only(value):
            return "numpy object array of non-string values"
    return None
