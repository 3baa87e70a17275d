"""Serving skew: how the logged inputs differ in shape from the training data and the model signature.

Checks (each finding names its column and says what to do): ``missing_column``
(a training column the serving rows lack), ``new_column``, ``dtype_change``
(another kind of value is an error, a wider type of the same kind a warning),
``null_rate`` (the share of nulls rose by more than ``null_rate_jump``),
``unseen_category`` (values never seen in training, over
``unseen_category_share`` of rows), ``out_of_range`` (numbers outside the
training range, over ``out_of_range_share`` of rows) and ``signature``
(an input of the model's signature missing or of another kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mlm_jupyter.core.drift import DriftThresholds
from mlm_jupyter.core.summaries import ColumnSummary

__all__ = ["SkewFinding", "dtype_kind", "schema_skew"]

_NUMERIC = ("int", "uint", "float", "double", "decimal", "halffloat")


def dtype_kind(dtype: str) -> str:
    """The kind of a logical type name (Arrow or numpy): numeric, bool, categorical, temporal or other."""
    text = str(dtype).lower()
    if text.startswith("bool"):
        return "bool"
    if text.startswith(_NUMERIC):
        return "numeric"
    if "string" in text or text in ("str", "object", "utf8", "large_utf8", "category") or text.startswith("dictionary"):
        return "categorical"
    if text.startswith(("timestamp", "date", "time", "datetime", "duration")):
        return "temporal"
    return "other"


@dataclass(frozen=True)
class SkewFinding:
    """One way the serving inputs differ from training (``severity``: error or warning)."""

    check: str
    column: str
    severity: str
    message: str
    value: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "column": self.column, "severity": self.severity, "message": self.message,
                "value": self.value, "threshold": self.threshold}


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else 0.0


def schema_skew(reference_types: Mapping[str, str], reference: Mapping[str, ColumnSummary],
                current: Mapping[str, ColumnSummary], *, out_of_range: Mapping[str, float] | None = None,
                signature: Sequence[tuple[str, str]] = (), thresholds: DriftThresholds = DriftThresholds(),
                rows: int = 0) -> list[SkewFinding]:
    """Every skew finding between the reference's columns and a window's.

    Args:
        reference_types: training column -> logical type.
        reference: training column -> summary (of the reference sample).
        current: serving column -> summary (exact, of the window).
        out_of_range: serving column -> share of values outside the training range.
        signature: the model signature's (input name, dtype) pairs.
        rows: rows in the window.
    """
    findings: list[SkewFinding] = []
    out_of_range = out_of_range or {}
    if not rows:
        return findings
    for name, ref_type in reference_types.items():
        cur = current.get(name)
        if cur is None or cur.count == 0 and cur.nulls == rows and not cur.dtypes:
            findings.append(SkewFinding("missing_column", name, "error",
                                        f"{name!r} was in the training data but is missing from the serving rows"))
            continue
        ref_kind, seen = dtype_kind(ref_type), [d for d in cur.dtypes if d != "null"]
        kinds = {dtype_kind(d) for d in seen}
        if kinds and kinds != {ref_kind}:
            findings.append(SkewFinding("dtype_change", name, "error",
                                        f"{name!r} was {ref_type} in training but serving sends {', '.join(seen)}"))
        elif seen and set(seen) != {ref_type}:
            findings.append(SkewFinding("dtype_change", name, "warning",
                                        f"{name!r} was {ref_type} in training; serving sends {', '.join(seen)}"))
        ref = reference.get(name)
        ref_null = ref.null_rate if ref is not None else 0.0
        if cur.null_rate - ref_null > thresholds.null_rate_jump:
            findings.append(SkewFinding("null_rate", name, "error",
                                        f"{name!r} is null in {cur.null_rate:.1%} of serving rows against "
                                        f"{ref_null:.1%} in training", round(cur.null_rate - ref_null, 6),
                                        thresholds.null_rate_jump))
        if ref is not None and ref_kind in ("categorical", "bool") and cur.categories:
            unseen = {k: v for k, v in cur.categories.items() if k not in ref.categories}
            share = _share(sum(unseen.values()), cur.count)
            if unseen and share > thresholds.unseen_category_share:
                top = ", ".join(repr(k) for k, _ in sorted(unseen.items(), key=lambda kv: -kv[1])[:5])
                findings.append(SkewFinding("unseen_category", name, "error",
                                            f"{share:.1%} of serving {name!r} values were never seen in training: {top}",
                                            round(share, 6), thresholds.unseen_category_share))
        share = out_of_range.get(name, 0.0)
        if share > thresholds.out_of_range_share and ref is not None and ref.min is not None:
            findings.append(SkewFinding("out_of_range", name, "error",
                                        f"{share:.1%} of serving {name!r} values fall outside the training range "
                                        f"[{ref.min:.6g}, {ref.max:.6g}] (serving: [{cur.min:.6g}, {cur.max:.6g}])"
                                        if cur.min is not None and cur.max is not None and ref.max is not None else
                                        f"{share:.1%} of serving {name!r} values fall outside the training range",
                                        round(share, 6), thresholds.out_of_range_share))
    for name in current:
        if name not in reference_types:
            findings.append(SkewFinding("new_column", name, "warning",
                                        f"serving sends {name!r}, which the training data did not have"))
    for name, dtype in signature:
        cur = current.get(name)
        if cur is None:
            findings.append(SkewFinding("signature", name, "error",
                                        f"the model signature requires input {name!r}, which serving does not send"))
            continue
        want = dtype_kind(dtype)
        kinds = {dtype_kind(d) for d in cur.dtypes if d != "null"}
        if want != "other" and kinds and kinds != {want}:
            findings.append(SkewFinding("signature", name, "error",
                                        f"the model signature says {name!r} is {dtype}; serving sends "
                                        f"{', '.join(cur.dtypes)}"))
    return findings
