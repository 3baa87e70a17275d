"""Compare two fingerprints: schema changes, row counts, changed columns, row overlap, profile shifts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from mlm_jupyter.core.fingerprint import Fingerprint
from mlm_jupyter.core.row_sketch import RowOverlap, estimate_overlap

__all__ = ["DataDiff", "diff_data"]

SHIFT_THRESHOLD = 0.1
"""Profile shifts at or above this score are listed in ``DataDiff.text``."""


@dataclass(frozen=True)
class DataDiff:
    """What changed from dataset ``a`` to dataset ``b``.

    Attributes:
        a, b: digests compared.
        identical: same digest (nothing else to report).
        rows: (rows of a, rows of b).
        added_columns / removed_columns: by name, in column order.
        type_changes: column -> (type in a, type in b).
        reordered: the common columns appear in a different order.
        changed_columns: common columns whose content digest differs.
        unchanged_columns: common columns with equal content.
        row_overlap: estimated overlap of distinct rows (needs row sketches on both sides).
        profile_shifts: column -> {"score": ..., plus what moved}; score 0 means no visible shift.
        kinds: the fingerprint kinds of a and b (``"pandas.DataFrame"``, ``"file"``, ``"directory"``...);
            the text speaks of bytes for files and bytes, and of files for directories.
    """

    a: str
    b: str
    identical: bool
    rows: tuple[int | None, int | None]
    added_columns: tuple[str, ...] = ()
    removed_columns: tuple[str, ...] = ()
    type_changes: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    reordered: bool = False
    changed_columns: tuple[str, ...] = ()
    unchanged_columns: tuple[str, ...] = ()
    row_overlap: RowOverlap | None = None
    profile_shifts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    kinds: tuple[str, str] = ("", "")

    @property
    def schema_changed(self) -> bool:
        return bool(self.added_columns or self.removed_columns or self.type_changes or self.reordered)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "a": self.a, "b": self.b, "identical": self.identical, "rows": list(self.rows),
            "added_columns": list(self.added_columns), "removed_columns": list(self.removed_columns),
            "type_changes": {k: list(v) for k, v in self.type_changes.items()}, "reordered": self.reordered,
            "changed_columns": list(self.changed_columns), "unchanged_columns": list(self.unchanged_columns),
            "row_overlap": self.row_overlap.to_dict() if self.row_overlap else None,
            "profile_shifts": {k: dict(v) for k, v in self.profile_shifts.items()}, "kinds": list(self.kinds),
        }

    @property
    def text(self) -> str:
        """A readable summary, one fact per line."""
        lines = [f"data diff {self.a[:12]} -> {self.b[:12]}"]
        if self.identical:
            return lines[0] + ": identical"
        sizes = {"file", "bytes"}
        rows_word, columns_word = ("bytes", "columns") if set(self.kinds) <= sizes else \
            ("files", "files") if set(self.kinds) == {"directory"} else ("rows", "columns")
        a_rows, b_rows = self.rows
        if a_rows is not None and b_rows is not None:
            delta = b_rows - a_rows
            lines.append(f"  {rows_word}: {a_rows} -> {b_rows} ({delta:+d})")
        if self.added_columns:
            lines.append(f"  added {columns_word}: {', '.join(self.added_columns)}")
        if self.removed_columns:
            lines.append(f"  removed {columns_word}: {', '.join(self.removed_columns)}")
        for name, (old, new) in self.type_changes.items():
            lines.append(f"  type of {name}: {old} -> {new}")
        if self.reordered:
            lines.append("  column order changed")
        if self.changed_columns:
            lines.append(f"  changed {columns_word}: {', '.join(self.changed_columns)}")
        if self.row_overlap is not None:
            o = self.row_overlap
            approx = "" if o.exact else "~"
            lines.append(f"  row overlap: {approx}{o.shared_rows:.0f} shared rows; {o.b_in_a:.1%} of b's rows "
                         f"are in a, {o.a_in_b:.1%} of a's rows are in b (jaccard {o.jaccard:.3f})")
        for name, shift in self.profile_shifts.items():
            if float(shift.get("score", 0.0)) >= SHIFT_THRESHOLD:
                details = ", ".join(f"{k} {v}" for k, v in shift.items() if k != "score")
                lines.append(f"  shift in {name}: score {shift['score']:.2f} ({details})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _numeric_shift(pa_: Mapping[str, Any], pb: Mapping[str, Any]) -> dict[str, Any]:
    shift: dict[str, Any] = {}
    score = 0.0
    mean_a, mean_b, std_a = pa_.get("mean"), pb.get("mean"), pa_.get("std")
    if mean_a is not None and mean_b is not None:
        shift["mean"] = [mean_a, mean_b]
        scale = std_a if std_a else (abs(mean_a) or 1.0)
        score = max(score, abs(mean_b - mean_a) / scale)
    std_b = pb.get("std")
    if std_a and std_b is not None:
        shift["std"] = [std_a, std_b]
        score = max(score, abs(std_b / std_a - 1.0))
    return {"score": _round(score), **shift} if shift else {"score": 0.0}


def _top_shift(pa_: Mapping[str, Any], pb: Mapping[str, Any]) -> dict[str, Any]:
    top_a = {str(v): f for v, f in pa_.get("top") or ()}
    top_b = {str(v): f for v, f in pb.get("top") or ()}
    keys = set(top_a) | set(top_b)
    # Total variation distance over the values both top lists know about.
    tvd = 0.5 * sum(abs((top_a.get(k) or 0.0) - (top_b.get(k) or 0.0)) for k in keys)
    new = sorted(set(top_b) - set(top_a))[:5]
    out: dict[str, Any] = {"score": _round(tvd)}
    if new:
        out["new_top_values"] = new
    return out


def _profile_shift(pa_: Mapping[str, Any], pb: Mapping[str, Any]) -> dict[str, Any]:
    if pa_.get("kind") == "numeric" and pb.get("kind") == "numeric":
        shift = _numeric_shift(pa_, pb)
    elif pa_.get("top") is not None and pb.get("top") is not None:
        shift = _top_shift(pa_, pb)
    else:
        shift = {"score": 0.0}
    nulls_a, nulls_b = pa_.get("null_fraction"), pb.get("null_fraction")
    if nulls_a is not None and nulls_b is not None and nulls_a != nulls_b:
        shift["null_fraction"] = [nulls_a, nulls_b]
        shift["score"] = max(float(shift["score"]), _round(abs(nulls_b - nulls_a) * 10))
    return shift


def diff_data(a: Fingerprint, b: Fingerprint) -> DataDiff:
    """Compare two fingerprints (row overlap only when both carry row sketches).

    Args:
        a: the reference (e.g. the earlier version, or the training set).
        b: the other side (the later version, or the test set).
    """
    if a.digest == b.digest:
        rows = a.shape[0] if a.shape else None
        return DataDiff(a=a.digest, b=b.digest, identical=True, rows=(rows, rows),
                        unchanged_columns=tuple(a.columns), kinds=(a.kind, b.kind))
    names_a, names_b = list(a.schema or a.columns), list(b.schema or b.columns)
    common = [n for n in names_a if n in set(names_b)]
    type_changes = {n: (a.schema[n], b.schema[n]) for n in common
                    if n in a.schema and n in b.schema and a.schema[n] != b.schema[n]}
    changed = tuple(n for n in common if a.columns.get(n) != b.columns.get(n))
    overlap = None
    if a.row_sketch is not None and b.row_sketch is not None:
        overlap = estimate_overlap(a.row_sketch, b.row_sketch)
    shifts = {n: _profile_shift(a.profile[n], b.profile[n]) for n in common
              if n in a.profile and n in b.profile}
    return DataDiff(
        a=a.digest, b=b.digest, identical=False,
        rows=(a.shape[0] if a.shape else None, b.shape[0] if b.shape else None),
        added_columns=tuple(n for n in names_b if n not in set(names_a)),
        removed_columns=tuple(n for n in names_a if n not in set(names_b)),
        type_changes=type_changes,
        reordered=common != [n for n in names_b if n in set(names_a)],
        changed_columns=changed, unchanged_columns=tuple(n for n in common if n not in changed),
        row_overlap=overlap, profile_shifts=shifts, kinds=(a.kind, b.kind))
