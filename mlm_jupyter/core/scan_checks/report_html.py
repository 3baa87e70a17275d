"""A scan report as one self-contained HTML page: findings table, per-group bars, calibration curve, slices.

No scripts and no external files: the page opens anywhere and can be attached
to a ticket. Colours use JupyterLab's theme variables with fallbacks, so the
same fragment reads well inside a notebook in a light or dark theme.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping, Sequence

__all__ = ["render_report"]

_SEVERITY_COLOURS = {"high": "#c62828", "medium": "#ef6c00", "low": "#9e9d24", "info": "#607d8b"}
_CSS = """
.mlm-scan{font-family:var(--jp-ui-font-family,system-ui,sans-serif);color:var(--jp-ui-font-color1,#222);
font-size:13px;max-width:1100px}
.mlm-scan h2{font-size:18px;margin:6px 0}.mlm-scan h3{font-size:15px;margin:14px 0 6px}
.mlm-scan table{border-collapse:collapse;width:100%;margin:4px 0 10px}
.mlm-scan th,.mlm-scan td{border-bottom:1px solid var(--jp-border-color2,#ddd);padding:4px 6px;text-align:left;
vertical-align:top}
.mlm-scan th{background:var(--jp-layout-color2,#f3f3f3)}
.mlm-scan .sev{color:#fff;border-radius:3px;padding:1px 6px;font-weight:600;white-space:nowrap}
.mlm-scan .verdict{font-weight:700;padding:2px 8px;border-radius:3px;color:#fff}
.mlm-scan .muted{color:var(--jp-ui-font-color2,#666)}
.mlm-scan details{margin:2px 0}.mlm-scan svg text{fill:var(--jp-ui-font-color1,#222);font-size:11px}
"""


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.{digits}f}"
    return escape(str(value))


def _badge(severity: str | None) -> str:
    if not severity:
        return ""
    return f'<span class="sev" style="background:{_SEVERITY_COLOURS.get(severity, "#888")}">{escape(severity)}</span>'


def _evidence(items: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for e in items:
        text = f"{escape(str(e['label']))}: {_fmt(e.get('value'))}"
        if e.get("low") is not None and e.get("high") is not None:
            text += f" [{_fmt(e['low'])}, {_fmt(e['high'])}]"
        if e.get("n") is not None:
            text += f" <span class='muted'>(n={e['n']})</span>"
        parts.append(text)
    return "<br>".join(parts)


def _findings_table(checks: Sequence[Mapping[str, Any]]) -> str:
    findings = [f for c in checks for f in c.get("findings", [])]
    order = {"high": 0, "medium": 1, "low": 2, "info": 3}
    findings.sort(key=lambda f: order.get(f["severity"], 9))
    rows = ["<tr><th>severity</th><th>check</th><th>finding</th><th>evidence</th><th>what to do</th></tr>"]
    for f in findings:
        rows.append(
            f"<tr><td>{_badge(f['severity'])}</td><td>{escape(f['check'])}</td>"
            f"<td><b>{escape(f['title'])}</b><details><summary class='muted'>why</summary>{escape(f['explanation'])}"
            f"</details></td><td>{_evidence(f.get('evidence', []))}</td><td>{escape(f['fix'])}</td></tr>")
    if len(rows) == 1:
        rows.append("<tr><td colspan=5 class='muted'>no findings</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _checks_table(checks: Sequence[Mapping[str, Any]]) -> str:
    rows = ["<tr><th>check</th><th>status</th><th>worst</th><th>findings</th><th>note</th></tr>"]
    for c in checks:
        rows.append(f"<tr><td>{escape(c['check'])}</td><td>{escape(c['status'])}</td><td>{_badge(c.get('severity'))}"
                    f"</td><td>{len(c.get('findings', []))}</td><td class='muted'>{escape(c.get('skipped') or '')}"
                    "</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _group_bars(attribute: Mapping[str, Any], metric: str) -> str:
    groups = [g for g in attribute.get("groups", []) if g.get(metric) is not None]
    if not groups:
        return ""
    width, bar_h, label_w = 520, 18, 170
    top = max(max((g.get(f"{metric}_ci") or [0, g[metric]])[1] for g in groups), max(g[metric] for g in groups), 1e-9)
    height = bar_h * len(groups) + 24
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{escape(metric)} by group">']
    for i, g in enumerate(groups):
        y = 4 + i * bar_h
        w = (width - label_w - 60) * g[metric] / top
        parts.append(f'<text x="0" y="{y + 12}">{escape(str(g["group"]))[:26]} (n={g["n"]})</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="{bar_h - 6}" '
                     'fill="var(--jp-brand-color1,#1976d2)" opacity="0.8"/>')
        ci = g.get(f"{metric}_ci")
        if ci:
            x1 = label_w + (width - label_w - 60) * ci[0] / top
            x2 = label_w + (width - label_w - 60) * ci[1] / top
            parts.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y + bar_h / 2}" y2="{y + bar_h / 2}" '
                         'stroke="var(--jp-ui-font-color1,#222)" stroke-width="1.5"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 12}">{g[metric]:.3f}</text>')
    parts.append("</svg>")
    return f"<div><b>{escape(str(attribute['attribute']))}</b> — {escape(metric)}</div>" + "".join(parts)


def _bias_section(details: Mapping[str, Any]) -> str:
    out = []
    metrics = details.get("metrics", [])
    for attribute in details.get("attributes", []):
        for metric in metrics:
            out.append(_group_bars(attribute, metric))
    return "<h3>Per-group metrics</h3>" + "".join(out) if out else ""


def _calibration_svg(details: Mapping[str, Any]) -> str:
    curve = details.get("curve") or []
    if not curve:
        return ""
    size, pad = 260, 30
    span = size - 2 * pad

    def xy(c: float, a: float) -> tuple[float, float]:
        return pad + c * span, size - pad - a * span

    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(b["confidence"], b["accuracy"]) for b in curve))
    x0, y0 = xy(0, 0)
    x1, y1 = xy(1, 1)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="var(--jp-brand-color1,#1976d2)"/>'
                   for x, y in (xy(b["confidence"], b["accuracy"]) for b in curve))
    return (f"<h3>Calibration</h3><div class='muted'>ECE {_fmt(details.get('ece'))} "
            f"[{_fmt((details.get('ece_ci') or [None, None])[0])}, {_fmt((details.get('ece_ci') or [None, None])[1])}]"
            f", {escape(str(details.get('direction', '')))}</div>"
            f'<svg width="{size}" height="{size}" role="img" aria-label="calibration curve">'
            f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="4 3"/>'
            f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#999"/>'
            f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#999"/>'
            f'<polyline points="{points}" fill="none" stroke="var(--jp-brand-color1,#1976d2)" stroke-width="2"/>{dots}'
            f'<text x="{size / 2 - 30}" y="{size - 6}">confidence</text>'
            f'<text x="2" y="{pad - 10}">accuracy</text></svg>')


def _slices_table(details: Mapping[str, Any]) -> str:
    slices = details.get("slices") or []
    if not slices:
        return ""
    rows = [f"<tr><th>slice</th><th>rows</th><th>{escape(str(details.get('loss', 'loss')))}</th><th>vs overall</th>"
            "<th>effect size</th><th>p</th><th></th></tr>"]
    for s in slices[:15]:
        rows.append(f"<tr><td>{escape(s['slice'])}</td><td>{s['n']}</td><td>{_fmt(s['loss'])} "
                    f"<span class='muted'>[{_fmt(s['loss_ci'][0])}, {_fmt(s['loss_ci'][1])}]</span></td>"
                    f"<td>{s['relative']:+.0%}</td><td>{_fmt(s['effect_size'], 2)}</td><td>{_fmt(s['p_value'], 2)}</td>"
                    f"<td>{_badge(s.get('flagged'))}</td></tr>")
    return "<h3>Slices (worst first)</h3><table>" + "".join(rows) + "</table>"


def render_report(report: Mapping[str, Any], fragment: bool = False) -> str:
    """HTML of a report's ``to_dict()`` form; a full page unless ``fragment``."""
    checks = report.get("checks", [])
    by_name = {c["check"]: c for c in checks}
    verdict = report.get("verdict", "")
    colour = "#2e7d32" if verdict == "passed" else "#c62828"
    model = report.get("model") or {}
    data = report.get("data") or {}
    metric = report.get("metric") or {}
    head = (f"<h2>Model scan <span class='verdict' style='background:{colour}'>{escape(verdict)}</span></h2>"
            f"<div class='muted'>{escape(str(model.get('name') or model.get('type') or 'model'))} · task "
            f"{escape(str(report.get('task')))} · {data.get('n_test', '?')} test rows"
            f"{' · ' + str(data.get('n_train')) + ' train rows' if data.get('n_train') else ''}"
            f" · {escape(str(metric.get('name', '')))} {_fmt(metric.get('value'))} · fails on "
            f"{escape(str(report.get('fail_on')))} and above · {report.get('seconds', 0):.1f} s</div>")
    body = [head, "<h3>Findings</h3>", _findings_table(checks), "<h3>Checks</h3>", _checks_table(checks)]
    if "bias" in by_name:
        body.append(_bias_section(by_name["bias"].get("details") or {}))
    if "calibration" in by_name:
        body.append(_calibration_svg(by_name["calibration"].get("details") or {}))
    if "slices" in by_name:
        body.append(_slices_table(by_name["slices"].get("details") or {}))
    inner = f"<div class='mlm-scan'><style>{_CSS}</style>{''.join(body)}</div>"
    if fragment:
        return inner
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Model scan report</title></head>"
            f"<body>{inner}</body></html>")
