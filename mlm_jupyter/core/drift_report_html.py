"""A drift report as self-contained HTML: verdict, feature table with inline SVG distributions, skew list."""

from __future__ import annotations

from html import escape
from typing import Any, Mapping, Sequence

__all__ = ["render_html"]

_CSS = """
.mlm-drift{font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:13px;color:#222}
.mlm-drift h2{font-size:16px;margin:4px 0}.mlm-drift table{border-collapse:collapse;margin:6px 0}
.mlm-drift td,.mlm-drift th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:middle}
.mlm-drift .bad{color:#b00020;font-weight:600}.mlm-drift .ok{color:#1b7f3b}.mlm-drift .warn{color:#a15c00}
.mlm-drift .badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600}
.mlm-drift .badge.bad{background:#b00020;color:#fff}.mlm-drift .badge.ok{background:#1b7f3b;color:#fff}
.mlm-drift .muted{color:#777}
"""


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))


def _bars(reference: Sequence[float], current: Sequence[float], width: int = 160, height: int = 34) -> str:
    """Reference (grey) and current (blue) shares side by side, as inline SVG."""
    count = max(len(reference), len(current))
    if not count:
        return ""
    top = max([*reference, *current, 1e-12])
    slot = width / count
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    for i in range(count):
        for j, (values, colour) in enumerate(((reference, "#9e9e9e"), (current, "#1f77b4"))):
            share = values[i] if i < len(values) else 0.0
            h = max(share / top * (height - 2), 0.0)
            x = i * slot + j * slot / 2
            parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(slot / 2 - 0.5, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _feature_rows(features: Sequence[Mapping[str, Any]], distributions: Mapping[str, Any],
                  skew: Mapping[str, list[str]]) -> str:
    rows = []
    for f in features:
        d = distributions.get(f["feature"]) or {}
        value = f["p_value"] if f["p_value"] is not None else f["statistic"]
        label = "p" if f["p_value"] is not None else "stat"
        rows.append(
            f"<tr><td>{escape(str(f['feature']))}</td><td>{escape(str(f['kind']))}</td>"
            f"<td>{escape(str(f['method']))}</td><td>{label}={_number(value)}</td><td>{_number(f['threshold'])}</td>"
            f"<td class=\"{'bad' if f['drifted'] else 'ok'}\">{'drift' if f['drifted'] else 'ok'}</td>"
            f"<td>{_bars(d.get('reference') or [], d.get('current') or [])}</td>"
            f"<td class=\"warn\">{escape(', '.join(skew.get(f['feature'], [])))}</td></tr>")
    return "".join(rows)


def render_html(report: Mapping[str, Any], full_page: bool = True) -> str:
    """HTML of ``DriftReport.to_dict()`` output; ``full_page=False`` gives a fragment for notebooks."""
    alarm = bool(report["alarm"])
    skew_by_column: dict[str, list[str]] = {}
    for s in report["skew"]:
        skew_by_column.setdefault(s["column"], []).append(s["check"])
    window = report["window"]
    ref = report["reference"]
    features = list(report["features"])
    if report.get("prediction"):
        features.append({**report["prediction"], "feature": report["prediction"]["feature"]})
    skew_items = "".join(
        f"<li class=\"{'bad' if s['severity'] == 'error' else 'warn'}\">{escape(s['check'])}: "
        f"{escape(s['message'])}</li>" for s in report["skew"]) or "<li class=\"ok\">none</li>"
    notes = "".join(f"<li class=\"muted\">{escape(n)}</li>" for n in report.get("notes") or ())
    alias = f" @{escape(report['alias'])}" if report.get("alias") else ""
    body = (
        f"<div class=\"mlm-drift\"><style>{_CSS}</style>"
        f"<h2>{escape(report['model'])} v{report['version']}{alias} "
        f"<span class=\"badge {'bad' if alarm else 'ok'}\">{escape(report['verdict'])}</span></h2>"
        f"<div class=\"muted\">{report['rows']} serving rows, {escape(str(window['start']))} – "
        f"{escape(str(window['end']))}; reference: {escape(str(ref.get('source')))} "
        f"({ref.get('rows')} of {ref.get('total_rows')} rows)</div>"
        f"<div>Drifted features: <b>{len(report['drifted_features'])}/{len(report['features'])}</b> "
        f"({report['drift_share']:.0%}; dataset drift at ≥ {report['thresholds']['drift_share']:.0%})"
        f" · prediction drift: <b>{'yes' if report['prediction_drift'] else 'no'}</b></div>"
        "<table><thead><tr><th>feature</th><th>kind</th><th>test</th><th>value</th><th>threshold</th>"
        "<th>verdict</th><th>reference (grey) vs serving (blue)</th><th>skew</th></tr></thead><tbody>"
        f"{_feature_rows(features, report.get('distributions') or {}, skew_by_column)}</tbody></table>"
        f"<h2>Serving skew</h2><ul>{skew_items}</ul>{f'<ul>{notes}</ul>' if notes else ''}</div>")
    if not full_page:
        return body
    title = escape(f"Drift report: {report['model']} v{report['version']}")
    return f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>"
