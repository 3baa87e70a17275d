"""Registry of store domains: each contributes write ops (appliers) and named reads.

A domain module exposes::

    APPLIERS: dict[str, Applier]     # op kind -> fn(session, args) -> result
    READERS: dict[str, Reader]       # query name -> fn(session, **args) -> value
    JOURNALABLE: frozenset[str]      # op kinds whose result the caller does not need,
                                     # so they may wait in the journal when the store is busy
    RUN_DETAILS: fn(session, run_id) -> dict   # optional: extra keys merged into the "run" read
                                               # (inputs, cell, provenance, staleness, ...)

Results must be JSON-friendly values or ``pyarrow.Table``s (see ``store.codec``).
To add a domain, write its module and append it to ``DOMAINS``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from mlm_jupyter.store.domains import runs
from mlm_jupyter.store.session import Session

__all__ = ["Applier", "DOMAINS", "Reader", "Session", "appliers", "journalable", "readers", "run_details"]

Applier = Callable[[Session, dict[str, Any]], Any]
Reader = Callable[..., Any]

DOMAINS: list[ModuleType] = [runs]


def _domain_modules() -> list[ModuleType]:
    # Domains added by later modules register themselves lazily to keep import order simple.
    import importlib

    modules = list(DOMAINS)
    for name in ("cells", "data", "registry", "kernels", "scans", "monitoring", "run_import", "notebook_renames",
                 "run_pages"):
        try:
            module = importlib.import_module(f"mlm_jupyter.store.domains.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"mlm_jupyter.store.domains.{name}":
                raise
            continue
        if module not in modules:
            modules.append(module)
    return modules


def appliers() -> dict[str, Applier]:
    table: dict[str, Applier] = {}
    for module in _domain_modules():
        table.update(getattr(module, "APPLIERS", {}))
    return table


def readers() -> dict[str, Reader]:
    table: dict[str, Reader] = {}
    for module in _domain_modules():
        table.update(getattr(module, "READERS", {}))
    return table


def run_details() -> list[Callable[[Session, str], dict[str, Any]]]:
    return [m.RUN_DETAILS for m in _domain_modules() if hasattr(m, "RUN_DETAILS")]


def journalable() -> frozenset[str]:
    kinds: set[str] = set()
    for module in _domain_modules():
        kinds |= set(getattr(module, "JOURNALABLE", frozenset()))
    return frozenset(kinds)
