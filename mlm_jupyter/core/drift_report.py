"""DriftReport: the verdict on one serving window of a model version against its reference.

``to_dict()`` is the wire and view format (documented in docs/monitoring.md,
``"schema": "mlm.drift_report/1"``); ``to_frame()`` gives one row per
feature; ``to_html()`` a self-contained page (inline SVG, no script).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from mlm_jupyter.core.drift import DriftThresholds, FeatureDrift
from mlm_jupyter.core.skew import SkewFinding

__all__ = ["DriftReport", "SCHEMA"]

SCHEMA = "mlm.drift_report/1"


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _seconds(text: Any) -> float | None:
    if text is None:
        return None
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class DriftReport:
    """Per-feature drift, prediction drift and serving skew of one window.

    Attributes:
        model, version, alias: the model version observed (``alias`` as asked for, if any).
        start, end: the window (epoch seconds, UTC).
        rows: serving rows in the window.
        reference: where the reference came from (``source``, ``dataset``, ``version``, ``rows``, ...).
        features: one ``FeatureDrift`` per feature present in both.
        prediction: drift of the predictions against the model's predictions on the reference, if known.
        skew: the serving-skew findings.
        thresholds: the thresholds applied (the model's stored ones plus any passed in).
        distributions: per feature, reference and current shares for charts (see docs/monitoring.md).
        notes: anything the reader should know (e.g. a part of the report that could not be computed).
    """

    model: str
    version: int
    start: float
    end: float
    rows: int
    reference: Mapping[str, Any]
    features: tuple[FeatureDrift, ...]
    skew: tuple[SkewFinding, ...] = ()
    prediction: FeatureDrift | None = None
    thresholds: DriftThresholds = field(default_factory=DriftThresholds)
    distributions: Mapping[str, Any] = field(default_factory=dict)
    alias: str | None = None
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------ verdicts

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    @property
    def drift_share(self) -> float:
        return len(self.drifted_features) / len(self.features) if self.features else 0.0

    @property
    def dataset_drift(self) -> bool:
        """At least ``thresholds.drift_share`` of the features drifted."""
        return bool(self.features) and self.drift_share >= self.thresholds.drift_share

    @property
    def prediction_drift(self) -> bool:
        return self.prediction is not None and self.prediction.drifted

    @property
    def skew_errors(self) -> list[SkewFinding]:
        return [s for s in self.skew if s.severity == "error"]

    @property
    def skew_detected(self) -> bool:
        return bool(self.skew_errors)

    @property
    def alarm(self) -> bool:
        """Dataset drift, prediction drift or a skew error: what ``mlm monitor report`` exits 1 on."""
        return self.dataset_drift or self.prediction_drift or self.skew_detected

    @property
    def verdict(self) -> str:
        """``no data``, ``ok``, or the problems joined with ``+`` (``drift``, ``prediction drift``, ``skew``)."""
        if not self.rows:
            return "no data"
        problems = [name for name, hit in (("drift", self.dataset_drift), ("prediction drift", self.prediction_drift),
                                           ("skew", self.skew_detected)) if hit]
        return " + ".join(problems) or "ok"

    # ------------------------------------------------------------ forms

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (shape: docs/monitoring.md)."""
        return {
            "schema": SCHEMA,
            "model": self.model, "version": self.version, "alias": self.alias,
            "window": {"start": _iso(self.start), "end": _iso(self.end), "seconds": self.end - self.start},
            "rows": self.rows, "reference": dict(self.reference),
            "verdict": self.verdict, "alarm": self.alarm,
            "dataset_drift": self.dataset_drift, "drift_share": self.drift_share,
            "drifted_features": self.drifted_features, "prediction_drift": self.prediction_drift,
            "skew_detected": self.skew_detected,
            "features": [f.to_dict() for f in self.features],
            "prediction": self.prediction.to_dict() if self.prediction else None,
            "skew": [s.to_dict() for s in self.skew],
            "thresholds": self.thresholds.to_dict(),
            "distributions": dict(self.distributions),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        def feature(d: Mapping[str, Any]) -> FeatureDrift:
            fields: dict[str, Any] = {k: d.get(k) for k in FeatureDrift.__dataclass_fields__}
            fields["note"] = fields["note"] or ""
            return FeatureDrift(**fields)

        window = data["window"]
        return cls(model=data["model"], version=int(data["version"]), alias=data.get("alias"),
                   start=float(_seconds(window["start"]) or 0), end=float(_seconds(window["end"]) or 0),
                   rows=int(data["rows"]), reference=dict(data.get("reference") or {}),
                   features=tuple(feature(f) for f in data.get("features") or ()),
                   prediction=feature(data["prediction"]) if data.get("prediction") else None,
                   skew=tuple(SkewFinding(**s) for s in data.get("skew") or ()),
                   thresholds=DriftThresholds.from_dict(data.get("thresholds")),
                   distributions=dict(data.get("distributions") or {}), notes=tuple(data.get("notes") or ()))

    def to_frame(self) -> Any:
        """One row per feature (and one for the prediction): test, statistic, p-value, threshold, drifted, skew."""
        import pandas as pd

        skew_by_column: dict[str, list[str]] = {}
        for finding in self.skew:
            skew_by_column.setdefault(finding.column, []).append(finding.check)
        rows = [{**f.to_dict(), "skew": ", ".join(skew_by_column.get(f.feature, []))}
                for f in (*self.features, *([self.prediction] if self.prediction else []))]
        columns = ["feature", "kind", "method", "statistic", "p_value", "threshold", "drifted", "reference_rows",
                   "current_rows", "skew", "note"]
        return pd.DataFrame(rows, columns=columns)

    def to_html(self) -> str:
        """A self-contained HTML page of the report (no scripts, no external files)."""
        from mlm_jupyter.core.drift_report_html import render_html

        return render_html(self.to_dict())

    def _repr_html_(self) -> str:
        from mlm_jupyter.core.drift_report_html import render_html

        return render_html(self.to_dict(), full_page=False)

    def __str__(self) -> str:
        head = (f"{self.model} v{self.version}{f' (@{self.alias})' if self.alias else ''}: {self.verdict.upper()} "
                f"- {self.rows} rows {_iso(self.start)} .. {_iso(self.end)}")
        lines = [head, f"  drifted features: {len(self.drifted_features)}/{len(self.features)} "
                       f"({self.drift_share:.0%}, dataset drift at >= {self.thresholds.drift_share:.0%})"]
        for f in self.features:
            if f.drifted:
                value = f"p={f.p_value:.3g}" if f.p_value is not None else f"{f.statistic:.3g}"
                lines.append(f"    {f.feature}: {f.method} {value} (threshold {f.threshold:g})")
        if self.prediction is not None:
            lines.append(f"  prediction drift: {'yes' if self.prediction.drifted else 'no'} ({self.prediction.method})")
        for s in self.skew:
            lines.append(f"  {s.severity}: {s.check}: {s.message}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)
