"""Model cards: a markdown page saying what a model version is, what made it, on which data, and how good it is.

Rendering is a pure function of what the store knows (``render_model_card``);
sections whose facts are missing (no cell record, no git commit, no data
inputs, no checks) say so instead of failing.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

from mlm_jupyter.core.entities import Run
from mlm_jupyter.core.model_entities import ModelVersion

__all__ = ["render_model_card"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)
    return lines


def _number(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(value) if not math.isfinite(number) else f"{number:.6g}"


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _provenance_lines(run: Run) -> list[str]:
    lines = [f"- **Run**: `{run.name}` (`{run.id}`), experiment `{run.experiment}`, status {run.status}"]
    if run.user:
        lines.append(f"- **User**: {run.user}")
    if run.start_time:
        duration = f", {run.duration:.1f} s" if run.duration is not None else ""
        lines.append(f"- **Started**: {run.start_time.isoformat(timespec='seconds')}{duration}")
    if run.source:
        lines.append(f"- **Source**: `{run.source}`")
    cell = run.cell or {}
    if cell:
        where = _get(cell, "notebook") or _get(cell, "notebook_path")
        count = _get(cell, "execution_count")
        code_hash = _get(cell, "source_sha256") or _get(cell, "source_digest") or _get(cell, "code_hash")
        facts = [f"`{where}`" if where else "notebook path not known",
                 f"execution [{count}]" if count is not None else "",
                 f"cell id `{_get(cell, 'cell_id')}`" if _get(cell, "cell_id") else ""]
        lines.append("- **Cell**: " + ", ".join(f for f in facts if f))
        if code_hash:
            lines.append(f"- **Code hash**: `{code_hash}`")
    else:
        lines.append("- **Cell**: not recorded (logged outside a captured notebook cell)")
    provenance = dict(run.provenance or {})
    commit = provenance.get("git_commit") or provenance.get("commit")
    if commit:
        branch = provenance.get("git_branch") or provenance.get("branch")
        dirty = provenance.get("git_dirty", provenance.get("dirty"))
        lines.append(f"- **Git commit**: `{commit}`" + (f" on `{branch}`" if branch else "")
                     + (" (uncommitted changes)" if dirty else ""))
    else:
        lines.append("- **Git commit**: not recorded")
    labels = {"code_hash": "Code hash", "git_diff_sha256": "Uncommitted diff sha256", "diff_digest": "Diff digest",
              "environment_digest": "Environment digest", "python": "Python", "platform": "Platform"}
    shown_values: set[tuple[str, Any]] = set()
    for key, label in labels.items():
        value = provenance.get(key)
        if value and (key, value) not in shown_values and ("diff", value) not in shown_values:
            lines.append(f"- **{label}**: `{value}`")
            shown_values.add(("diff" if "diff" in key else key, value))  # diff_digest aliases git_diff_sha256
    source = _get(cell, "source") if cell else None
    if source:
        shown = str(source).splitlines()
        lines += ["", "Cell source" + (f" (first 40 of {len(shown)} lines)" if len(shown) > 40 else "") + ":", "",
                  "```python", *shown[:40], "```"]
    return lines


_SUMMARY_COLUMNS = 6


def _column_summary(name: str, entry: Mapping[str, Any]) -> str:
    nulls = _get(entry, "null_fraction") or 0
    null_text = f", {float(nulls):.0%} null" if nulls else ""
    if _get(entry, "kind") == "numeric" and _get(entry, "min") is not None:
        mean = _get(entry, "mean")
        return (f"{name}: {_number(entry['min'])}..{_number(entry['max'])}"
                + (f", mean {float(mean):.4g}" if mean is not None else "") + null_text)
    top = _get(entry, "top")
    if top:
        value, share = top[0]
        return f"{name}: top {value!s} ({float(share or 0):.0%}), ~{_get(entry, 'distinct', '?')} distinct" + null_text
    if _get(entry, "min") is not None:
        return f"{name}: {entry['min']}..{entry['max']}" + null_text
    count = _get(entry, "count")
    return (f"{name}: {count} values" if count is not None else name) + null_text


def _profile_summary(profile: Mapping[str, Any]) -> str:
    """One short clause per column (range and mean, or the top value), for the data table of the card."""
    if not profile:
        return ""
    parts = [_column_summary(str(name), entry) for name, entry in list(profile.items())[:_SUMMARY_COLUMNS]
             if isinstance(entry, Mapping)]
    more = len(profile) - _SUMMARY_COLUMNS
    return "; ".join(parts) + (f"; ... (+{more} columns)" if more > 0 else "")


def _data_lines(run: Run) -> list[str]:
    items = [*run.inputs, *run.outputs]
    if not items:
        return ["No datasets were logged with this run (use `mlm.log_input(df, name=...)`)."]
    rows = []
    for item in items:
        fingerprint = item.fingerprint
        digest = _get(fingerprint, "digest", "")
        shape = _get(fingerprint, "shape", ())
        profile = _get(fingerprint, "profile", {}) or {}
        kind = _get(fingerprint, "kind", "")
        rows.append((item.name, item.role, kind, "x".join(str(s) for s in shape) if shape else "",
                     f"`{str(digest)[:16]}`" if digest else "", _profile_summary(profile)))
    return _table(["dataset", "role", "kind", "shape", "fingerprint", "profile"], rows)


def render_model_card(version: ModelVersion, run: Run | None, manifest: Mapping[str, Any] | None = None,
                      checks: Sequence[Mapping[str, Any]] | None = None, *, title: str | None = None) -> str:
    """The markdown model card of ``version`` (``run``: the run that produced it, if known)."""
    manifest = dict(manifest or {})
    lines = [f"# Model card: {title or f'{version.name} v{version.version}'}", ""]
    if version.description:
        lines += [version.description, ""]
    summary = [("flavor", version.flavor), ("sha256", f"`{version.sha256}`"),
               ("size", f"{version.size:,} bytes" if version.size else ""),
               ("aliases", ", ".join(version.aliases) or "none"), ("status", version.status),
               ("registered", version.created_at.isoformat(timespec="seconds") if version.created_at else ""),
               ("registered by", version.created_by or ""), ("source", version.source or ""),
               ("python", manifest.get("python_version", ""))]
    lines += _table(["", ""], [(k, v) for k, v in summary if v]) + [""]
    lines += ["## What produced it", ""]
    lines += _provenance_lines(run) if run else ["Not produced by a tracked run (registered from a file)."]
    if run and run.staleness:
        lines += ["", "**Not reproducible top to bottom:**"] + [f"- {reason}" for reason in run.staleness]
    lines += ["", "## Data", ""] + (_data_lines(run) if run else ["Unknown."])
    lines += ["", "## Metrics", ""]
    lines += _table(["metric", "value"], sorted((k, _number(v)) for k, v in run.metrics.items())) \
        if run and run.metrics else ["No metrics were logged with this run."]
    if run and run.params:
        lines += ["", "## Parameters", ""] + _table(["param", "value"], sorted(run.params.items()))
    lines += ["", "## Checks", ""]
    if checks:
        lines += _table(["check", "status"], [(c.get("name") or "?", c.get("status")) for c in checks])
    else:
        lines.append("No check results recorded.")
    lines += ["", "## Signature", ""]
    lines.append(f"`{version.signature.describe()}`" if version.signature else
                 "No signature (log the model with `input_example=` to infer one).")
    lines += ["", "## Requirements", "", "```"] + (list(version.requirements) or ["(none recorded)"]) + ["```", ""]
    return "\n".join(lines)
