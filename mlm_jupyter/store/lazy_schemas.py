"""Arrow schemas a store domain builds on first use, so that importing the domain imports no pyarrow.

A script that logs one metric imports the store and every domain but never makes an Arrow table
(``tests/tracking/test_import_diet.py``); the schemas it would need for tables are built the first
time one is asked for, then kept. A domain exposes them as module attributes (``METRIC_SCHEMA``)
through the module ``__getattr__`` this returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["LazySchemas"]


class LazySchemas:
    """``schemas["NAME"]`` builds every schema of ``build()`` once, on the first lookup."""

    def __init__(self, module: str, build: Callable[[], dict[str, pa.Schema]], names: tuple[str, ...]) -> None:
        self._module = module
        self._build = build
        self.names = names
        self._built: dict[str, pa.Schema] | None = None

    def __getitem__(self, name: str) -> pa.Schema:
        if self._built is None:
            self._built = self._build()
        return self._built[name]

    def module_getattr(self, name: str) -> Any:
        """A module's ``__getattr__`` (PEP 562): the schemas by name, anything else an ``AttributeError``."""
        if name in self.names:
            return self[name]
        raise AttributeError(f"module {self._module!r} has no attribute {name!r}")
