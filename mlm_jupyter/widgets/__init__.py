"""The widgets layer of mlm-jupyter (see DESIGN.md §2): runs table, comparison, registry panel, history.

Each widget lives in its own module (with its ES module and CSS under
``static/``); the names below are imported on first use so that
``import mlm_jupyter.widgets`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Comparison", "HistoryTimeline", "RegistryPanel", "RunsTable", "compare", "history", "registry", "runs"]

_NAMES = {
    "runs": "runs_table", "RunsTable": "runs_table",
    "compare": "comparison", "Comparison": "comparison",
    "registry": "registry_panel", "RegistryPanel": "registry_panel",
    "history": "history", "HistoryTimeline": "history",
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'mlm_jupyter.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mlm_jupyter.widgets.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
