"""Model flavors: how each kind of model is written to bytes and read back.

A flavor module exposes ``NAME``, ``FILE_NAME``, ``DISTRIBUTIONS`` (the
packages a loader needs), ``matches(model)``, ``save(model) -> (bytes,
details)`` and ``load(data, details, options) -> model``. ``details`` is
JSON that the manifest keeps (class paths, untrusted types, ...).
Detection tries the safe formats first; ``pickle`` is used only when asked
for by name, and loading it needs ``trust_pickle=True``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Sequence

from mlm_jupyter.core.errors import InvalidInputError, UnsupportedTypeError

__all__ = ["AUTO_FLAVORS", "FLAVORS", "LoadOptions", "flavor_for", "get_flavor"]

#: detected automatically, in this order
AUTO_FLAVORS = ("xgboost", "lightgbm", "sklearn", "torch")
#: every flavor, including the ones that must be asked for by name
FLAVORS = (*AUTO_FLAVORS, "pickle")


@dataclass(frozen=True)
class LoadOptions:
    """What the caller allows when deserialising.

    Attributes:
        trust_pickle: allow the pickle flavor (arbitrary code runs on load).
        trusted_types: extra type names a skops file may contain beyond the
            scikit-learn types trusted by default.
    """

    trust_pickle: bool = False
    trusted_types: Sequence[str] = field(default_factory=tuple)


def get_flavor(name: str) -> ModuleType:
    """The flavor module called ``name``."""
    if name not in FLAVORS:
        raise InvalidInputError(f"unknown model flavor {name!r}; known flavors: {', '.join(FLAVORS)}")
    return importlib.import_module(f"mlm_jupyter.tracking.flavors.{name}_flavor")


def flavor_for(model: Any, flavor: str | None = None) -> ModuleType:
    """The flavor to save ``model`` with: ``flavor`` if given, else the first safe flavor that matches."""
    if flavor is not None:
        module = get_flavor(flavor)
        if not module.matches(model):
            raise UnsupportedTypeError(
                f"the {flavor} flavor cannot save a {type(model).__module__}.{type(model).__qualname__}",
                flavor=flavor)
        return module
    for name in AUTO_FLAVORS:
        module = get_flavor(name)
        if module.matches(model):
            return module
    raise UnsupportedTypeError(
        f"no safe model flavor for a {type(model).__module__}.{type(model).__qualname__} (supported: "
        "scikit-learn estimators and pipelines, XGBoost, LightGBM, PyTorch modules). Pass flavor='pickle' "
        "to store it with pickle; loading it will then need trust_pickle=True.")
