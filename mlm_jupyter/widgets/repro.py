"""A reproduction verdict in the notebook: ``Reproduction`` objects display as the shared repro view.

``ReproPanel`` hosts the view (``view = "repro"``, fed ``Reproduction.to_dict()``);
static exports keep the object's own HTML. ``register_display(ipython)`` makes
IPython show every ``Reproduction`` this way (the tracking layer knows nothing of
widgets: the formatter is registered by name, from here).
"""

from __future__ import annotations

from typing import Any

import traitlets

from mlm_jupyter.widgets.widget_base import MlmWidget, jsonable

__all__ = ["REPRO_TAGS", "ReproPanel", "register_display", "reproduction_bundle"]

#: the tags that carry a run's reproduction status (docs/reproduce.md), kept for the views
REPRO_TAGS = frozenset({"mlm.reproduced", "mlm.reproduced_by", "mlm.reproduction_of", "mlm.reproduction.verdict",
                        "mlm.reproduction.difference", "mlm.reproduction.reason"})


class ReproPanel(MlmWidget):
    """One reproduction verdict: badge, first difference, differences, reasons, environment notes."""

    view = traitlets.Unicode("repro").tag(sync=True)
    report = traitlets.Dict().tag(sync=True)

    def __init__(self, reproduction: Any, *, client: Any = None) -> None:
        super().__init__(client=client if client is not None else False)  # shows data only: no store needed
        self.reproduction = reproduction
        self.report = jsonable(reproduction.to_dict())

    def fallback_html(self) -> str:
        return str(self.reproduction._repr_html_())

    def fallback_text(self) -> str:
        return str(self.reproduction.summary())


def reproduction_bundle(reproduction: Any, include: Any = None, exclude: Any = None) -> Any:
    """IPython's mime bundle of a ``Reproduction``: the live view plus its HTML and text fallbacks."""
    return ReproPanel(reproduction)._repr_mimebundle_(include=include, exclude=exclude)


def register_display(ipython: Any) -> None:
    """Show ``Reproduction`` objects as the shared view in this IPython (no-op without one)."""
    formatter = getattr(getattr(ipython, "display_formatter", None), "mimebundle_formatter", None)
    if formatter is not None:
        formatter.for_type_by_name("mlm_jupyter.tracking.reproduce", "Reproduction", reproduction_bundle)
