"""A light canvas chart of the compared curves, painted at once while plotly's FigureWidget loads."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import traitlets

import anywidget

from mlm_jupyter.widgets.widget_base import STATIC, with_fallback

__all__ = ["CurvesPreview"]


def _finite_list(values: np.ndarray) -> list[Any]:
    out: list[Any] = np.asarray(values, dtype=np.float64).tolist()
    return [v if v == v and v not in (float("inf"), float("-inf")) else None for v in out]


class CurvesPreview(anywidget.AnyWidget):  # type: ignore[misc]
    """Overlaid line series on a 2-D canvas (already downsampled): the comparison's first paint.

    plotly's FigureWidget ships plotly.js (about 5 MB) with every figure, which
    takes seconds to arrive; this preview is a few kB and draws in
    milliseconds, then hides itself once the plotly figure next to it has drawn.
    """

    _esm = STATIC / "curves_preview.js"
    _css = STATIC / "curves_preview.css"

    series = traitlets.List().tag(sync=True)
    y_label = traitlets.Unicode("").tag(sync=True)

    def show(self, curves: Sequence[dict[str, Any]], colors: Sequence[str], y_label: str) -> None:
        """Draw ``curves`` (dicts with ``name``, ``x``, ``y``) in ``colors``."""
        with self.hold_trait_notifications():
            self.y_label = y_label
            self.series = [{"name": c["name"], "color": colors[i % len(colors)],
                            "x": np.asarray(c["x"], dtype=np.float64).tolist(), "y": _finite_list(c["y"])}
                           for i, c in enumerate(curves)]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        return with_fallback(bundle, "", f"CurvesPreview({len(self.series)} series)")
