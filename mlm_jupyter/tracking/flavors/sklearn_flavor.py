"""The scikit-learn flavor: estimators and pipelines in skops' safe format (no pickle on load).

skops lists the types a file would instantiate that it does not trust by
default. We also trust, without being asked, exactly two kinds of type:

- *classes scikit-learn itself defines* (e.g. ``sklearn.tree._tree.Tree``):
  the name in the file must resolve to a class whose own ``__module__`` and
  ``__qualname__`` spell that very name. A name is only a label an attacker
  writes: ``sklearn.callback._progressbar.Thread`` resolves to
  ``threading.Thread`` (the module merely imports it), so it is refused, as
  is anything from scikit-learn's test helpers or vendored ``externals``;
- a few pure-data types fitted estimators hold (``numpy.dtype``, scipy's
  sparse matrices), checked the same way.

Functions are never trusted by default, not even scikit-learn's (a function
stored in a model, say as a ``FunctionTransformer``'s ``func``, is called on
use); anything else is refused unless the caller names it in ``trusted_types``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from mlm_jupyter.core.errors import UnsupportedTypeError, UntrustedModelError

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "is_trusted_by_default", "load", "matches", "save",
           "untrusted_types"]

NAME = "sklearn"
FILE_NAME = "model.skops"
DISTRIBUTIONS = ("scikit-learn", "skops", "numpy", "scipy")
# Pure-data types fitted estimators hold, by their real (defining) names: a numpy dtype is rebuilt from its
# spec (SimpleImputer keeps the dtype it was fitted on); sparse matrices are arrays of numbers.
TRUSTED_DATA_TYPES = frozenset({
    "numpy.dtype",
    "scipy.sparse._csr.csr_matrix", "scipy.sparse._csc.csc_matrix", "scipy.sparse._coo.coo_matrix",
    "scipy.sparse._csr.csr_array", "scipy.sparse._csc.csc_array", "scipy.sparse._coo.coo_array",
})
# Parts of scikit-learn that are not estimators' building blocks: test helpers and vendored third-party code
# (importing a test module can run code, and vendored classes are not scikit-learn's own)
_UNTRUSTED_SEGMENTS = frozenset({"tests", "_testing", "externals", "conftest", "_build_utils"})


def matches(model: Any) -> bool:
    if "sklearn" not in sys.modules:
        return False
    from sklearn.base import BaseEstimator

    return isinstance(model, BaseEstimator)


def _resolves_to_itself(name: str) -> bool:
    """Whether ``module.Class`` names a class whose own module and qualified name are exactly that."""
    module_name, _, attribute = name.rpartition(".")
    if not module_name or not attribute.isidentifier():
        return False
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except Exception:  # noqa: BLE001 -- a name that does not import is simply not trusted
        return False
    return isinstance(found, type) and f"{found.__module__}.{found.__qualname__}" == name


def is_trusted_by_default(name: str) -> bool:
    """Whether the type ``name`` (as a skops file spells it) may be created without ``trusted_types``."""
    if name in TRUSTED_DATA_TYPES:
        return _resolves_to_itself(name)
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "sklearn" or not all(p.isidentifier() for p in parts):
        return False
    if _UNTRUSTED_SEGMENTS.intersection(parts[:-1]):  # checked before anything is imported
        return False
    return _resolves_to_itself(name)


def _importable(name: str) -> bool:
    """Whether ``module.attr[.attr...]`` resolves in this process (the model's own modules are imported already)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                found = getattr(found, attribute)
        except AttributeError:
            return False
        return True
    return False


def untrusted_types(data: bytes) -> list[str]:
    """Types in a skops file that skops does not trust by default."""
    import skops.io

    return list(skops.io.get_untrusted_types(data=data))


def save(model: Any) -> tuple[bytes, dict[str, Any]]:
    import skops.io

    data = skops.io.dumps(model)
    found = untrusted_types(data)
    unloadable = [t for t in found if not _importable(t)]
    if unloadable:  # skops stores functions by name: lambdas and nested functions can never be imported back
        raise UnsupportedTypeError(
            f"this model holds {', '.join(unloadable)}, which skops saves by name and no process can import "
            "back, so the model could never be loaded; define the function at module level (in an importable "
            "module) instead of a lambda or nested function", untrusted_types=unloadable)
    return data, {"class": f"{type(model).__module__}.{type(model).__qualname__}", "untrusted_types": found}


def load(data: bytes, details: dict[str, Any], options: Any) -> Any:
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    # one parse in the usual case: offer skops the sklearn classes the manifest says the file holds (the
    # manifest may lie, so each is checked again) plus the caller's types; skops refuses anything else
    recorded = [str(t) for t in details.get("untrusted_types") or ()]
    offered = [t for t in recorded if is_trusted_by_default(t)] + list(options.trusted_types)
    try:
        return skops.io.loads(data, trusted=offered)
    except UntrustedTypesFoundException:
        pass
    found = untrusted_types(data)
    allowed = set(options.trusted_types)
    refused = [t for t in found if t not in allowed and not is_trusted_by_default(t)]
    if refused:
        raise UntrustedModelError(
            f"this skops model would create types that are not trusted: {', '.join(refused)}. If you trust "
            f"where the model came from, pass trusted_types={refused!r} to load_model.", untrusted_types=refused)
    return skops.io.loads(data, trusted=found)
