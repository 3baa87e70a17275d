"""The scikit-learn flavor: estimators and pipelines in skops' safe format (no pickle on load).

skops lists the types a file would instantiate that it does not trust by
default. We also trust ``numpy.dtype`` (pure data) and *classes* of the
``sklearn`` package itself (e.g. ``sklearn.tree._tree.Tree``), not its functions (a function stored in a
model, say as a ``FunctionTransformer``'s ``func``, is called on use);
anything else is refused unless the caller names it in ``trusted_types``.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from mlm_jupyter.core.errors import UnsupportedTypeError, UntrustedModelError

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "load", "matches", "save", "untrusted_types"]

NAME = "sklearn"
FILE_NAME = "model.skops"
DISTRIBUTIONS = ("scikit-learn", "skops", "numpy", "scipy")
TRUSTED_PREFIXES = ("sklearn.",)
# Types skops asks about that only hold data: a numpy dtype is rebuilt from its spec and runs no code
# (SimpleImputer, among others, keeps the dtype it was fitted on).
TRUSTED_DATA_TYPES = frozenset({"numpy.dtype"})


def matches(model: Any) -> bool:
    if "sklearn" not in sys.modules:
        return False
    from sklearn.base import BaseEstimator

    return isinstance(model, BaseEstimator)


def _is_sklearn_class(name: str) -> bool:
    if name in TRUSTED_DATA_TYPES:
        return True
    if not name.startswith(TRUSTED_PREFIXES):
        return False
    module_name, _, attribute = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return False
    return isinstance(found, type)


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
    offered = [t for t in recorded if _is_sklearn_class(t)] + list(options.trusted_types)
    try:
        return skops.io.loads(data, trusted=offered)
    except UntrustedTypesFoundException:
        pass
    found = untrusted_types(data)
    allowed = set(options.trusted_types)
    refused = [t for t in found if t not in allowed and not _is_sklearn_class(t)]
    if refused:
        raise UntrustedModelError(
            f"this skops model would create types that are not trusted: {', '.join(refused)}. If you trust "
            f"where the model came from, pass trusted_types={refused!r} to load_model.", untrusted_types=refused)
    return skops.io.loads(data, trusted=found)
