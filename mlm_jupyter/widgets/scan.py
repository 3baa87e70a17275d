"""The scan report widget: ``mlm.scan_view(report)`` -- the shared scan view in a notebook, and a promotion
that goes through the registry's gates.

The live view is the shared report view (``view = "scan"``, fed the report's
``to_dict()``); static exports show the report's self-contained HTML
(``ScanReport.to_html``: findings table, per-group bars, calibration curve,
slices).
"""

from __future__ import annotations

from typing import Any, Callable

import traitlets

from mlm_jupyter.core.errors import InvalidInputError, MlmError
from mlm_jupyter.core.scan_checks.findings import ScanReport
from mlm_jupyter.core.scan_checks.report_html import render_report
from mlm_jupyter.widgets.widget_base import MlmWidget, jsonable

__all__ = ["ScanPanel", "scan_view"]


class ScanPanel(MlmWidget):
    """One scan report; ``promote(alias, reason)`` when it is a registered version's scan."""

    view = traitlets.Unicode("scan").tag(sync=True)
    report = traitlets.Dict().tag(sync=True)
    target = traitlets.Dict().tag(sync=True)  # {"name", "version"} of the scanned version, else empty

    def __init__(self, report: ScanReport, *, client: Any = None) -> None:
        super().__init__(client=client)
        self.scan = report
        data = report.to_dict()
        model = data.get("model") or {}
        self.target = {"name": model["name"], "version": int(model["version"])} \
            if model.get("name") and model.get("version") is not None else {}
        self.report = jsonable(data)

    def _calls(self) -> dict[str, Callable[..., Any]]:
        return {"promote": self.promote}

    def promote(self, alias: str = "production", reason: str = "") -> Any:
        """Point ``alias`` at the scanned version (a reason is required) through the promotion gates.

        The outcome is the widget's message: a blocked gate shows why, and nothing moves.
        Returns the ``ModelVersion`` when the alias moved, else ``None``.
        """
        self.message = {}
        try:
            if not self.target:
                raise InvalidInputError("this scan is not of a registered version; log the model (mlm.log_model) "
                                        "and scan models:/NAME/VERSION to promote from here")
            if not str(reason).strip():
                raise InvalidInputError("a promotion needs a reason: say why this version should serve")
            version = self.client.set_alias(self.target["name"], alias, self.target["version"], reason=reason)
        except MlmError as error:
            self.message = {"kind": "error", "text": error.message, "code": error.code}
            return None
        self.message = {"kind": "ok", "text": f"{self.target['name']}@{alias} now points at v{version.version}"}
        return version

    def fallback_html(self) -> str:
        return render_report(self.scan.to_dict(), fragment=True)

    def fallback_text(self) -> str:
        return self.scan.summary()


def scan_view(report: ScanReport | str, *, client: Any = None) -> ScanPanel:
    """Show a scan report: a ``ScanReport``, a stored scan id, or ``models:/NAME/VERSION`` (its latest scan)."""
    if isinstance(report, str):
        if client is None:
            from mlm_jupyter.tracking.scan import fluent_get_scan

            report = fluent_get_scan(report)
        else:
            from mlm_jupyter.tracking.scan import get_scan

            report = get_scan(client, report)
    if not isinstance(report, ScanReport):
        raise InvalidInputError(f"scan_view takes a ScanReport, a scan id or a models:/ URI, not a "
                                f"{type(report).__name__}")
    return ScanPanel(report, client=client)
