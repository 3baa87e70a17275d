"""Promotion gates: rules that guard an alias, and their pure evaluation.

A rule is stored per (model, alias). Three kinds exist:

* ``metric_threshold``: the candidate's run metric compared with a fixed value,
  e.g. ``val_auc >= 0.9``;
* ``beats_current``: the candidate must beat the version the alias points to
  now on a metric (higher is better unless ``higher_is_better=False``), by at
  least ``min_delta``;
* ``checks_passed``: the candidate's run must have check results, all passed;
* ``scan_passed``: the candidate's latest model scan (``mlm.scan``) has no finding at
  ``severity`` or above (``"high"`` by default).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.severity import check_severity, severity_rank

__all__ = ["GateFailure", "PromotionRule", "RULE_KINDS", "evaluate_rules"]

RULE_KINDS = ("metric_threshold", "beats_current", "checks_passed", "scan_passed")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


@dataclass(frozen=True)
class PromotionRule:
    """One gate on an alias of a model.

    Build rules with the constructors ``PromotionRule.metric_threshold``,
    ``PromotionRule.beats_current`` and ``PromotionRule.checks_passed``.
    """

    kind: str
    metric: str | None = None
    op: str | None = None
    threshold: float | None = None
    higher_is_better: bool = True
    min_delta: float = 0.0
    alias: str = "production"
    severity: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InvalidInputError(f"unknown promotion rule kind {self.kind!r}; use one of {', '.join(RULE_KINDS)}")
        if self.kind in ("metric_threshold", "beats_current") and not self.metric:
            raise InvalidInputError(f"a {self.kind} rule needs metric=<name of a run metric>")
        if self.kind == "metric_threshold":
            if self.op not in _OPS:
                raise InvalidInputError(f"a metric_threshold rule needs op= one of {', '.join(_OPS)}, got {self.op!r}")
            if self.threshold is None or not math.isfinite(float(self.threshold)):
                raise InvalidInputError("a metric_threshold rule needs a finite threshold=")
        if self.kind == "scan_passed":
            object.__setattr__(self, "severity", check_severity(self.severity or "high"))

    @classmethod
    def metric_threshold(cls, metric: str, op: str, threshold: float, *, alias: str = "production") -> PromotionRule:
        """The candidate's ``metric`` must satisfy ``metric <op> threshold`` (op: >=, >, <=, <)."""
        return cls("metric_threshold", metric=metric, op=op, threshold=float(threshold), alias=alias)

    @classmethod
    def beats_current(cls, metric: str, *, higher_is_better: bool = True, min_delta: float = 0.0,
                      alias: str = "production") -> PromotionRule:
        """The candidate must beat the alias's current holder on ``metric`` by at least ``min_delta``."""
        return cls("beats_current", metric=metric, higher_is_better=higher_is_better, min_delta=float(min_delta),
                   alias=alias)

    @classmethod
    def checks_passed(cls, *, alias: str = "production") -> PromotionRule:
        """The candidate's run must have check results, and all of them passed."""
        return cls("checks_passed", alias=alias)

    @classmethod
    def scan_passed(cls, severity: str = "high", *, alias: str = "production") -> PromotionRule:
        """The candidate's latest model scan must have no finding at ``severity`` or above."""
        return cls("scan_passed", severity=severity, alias=alias)

    @property
    def rule_id(self) -> str:
        """Identity within (model, alias): setting a rule with the same id replaces it."""
        return f"{self.kind}:{self.metric}" if self.metric else self.kind

    def describe(self) -> str:
        if self.kind == "metric_threshold":
            return f"{self.metric} {self.op} {self.threshold:g}"
        if self.kind == "beats_current":
            direction = "higher" if self.higher_is_better else "lower"
            delta = f" by at least {self.min_delta:g}" if self.min_delta else ""
            return f"beats the current '{self.alias}' version on {self.metric} ({direction} is better){delta}"
        if self.kind == "scan_passed":
            return f"scan passed (no finding at severity {self.severity} or above)"
        return "all checks passed"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "metric": self.metric, "op": self.op, "threshold": self.threshold,
                "higher_is_better": self.higher_is_better, "min_delta": self.min_delta, "alias": self.alias,
                "severity": self.severity}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromotionRule:
        return cls(kind=str(data["kind"]), metric=data.get("metric"), op=data.get("op"),
                   threshold=None if data.get("threshold") is None else float(data["threshold"]),
                   higher_is_better=bool(data.get("higher_is_better", True)),
                   min_delta=float(data.get("min_delta") or 0.0), alias=str(data.get("alias") or "production"),
                   severity=data.get("severity"))


@dataclass(frozen=True)
class GateFailure:
    """A rule that blocked a promotion, with what was expected and what was found."""

    rule: PromotionRule
    message: str
    shortfall: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.to_dict(), "message": self.message, "shortfall": self.shortfall}


def _metric(metrics: Mapping[str, float], key: str) -> float | None:
    value = metrics.get(key)
    if value is None:
        return None
    value = float(value)
    return value if not math.isnan(value) else None


def evaluate_rules(rules: Sequence[PromotionRule], *, candidate: str, metrics: Mapping[str, float],
                   holder: str | None = None, holder_metrics: Mapping[str, float] | None = None,
                   checks: Sequence[Mapping[str, Any]] | None = None) -> list[GateFailure]:
    """Every rule the candidate fails (empty: the promotion may go ahead).

    Args:
        rules: the rules of the alias being set.
        candidate: how to name the candidate in messages (e.g. ``"churn-rf v3"``).
        metrics: the candidate run's latest metrics.
        holder: the version the alias points to now (``None`` if unset).
        holder_metrics: that version's run metrics.
        checks: the candidate run's check results (``{"name", "status"}``), ``None`` if none are recorded.
    """
    failures = []
    for rule in rules:
        metric = str(rule.metric)
        if rule.kind == "metric_threshold":
            threshold = float(rule.threshold or 0.0)  # always set: __post_init__ refuses a rule without it
            value = _metric(metrics, metric)
            if value is None:
                failures.append(GateFailure(rule, f"rule '{rule.describe()}': {candidate} has no metric "
                                                  f"{rule.metric!r} (log it in the version's run)"))
            elif not _OPS[str(rule.op)](value, threshold):
                gap = abs(threshold - value)
                failures.append(GateFailure(rule, f"rule '{rule.describe()}': {candidate} has {rule.metric} = "
                                                  f"{value:g}, {gap:.4g} short", gap))
        elif rule.kind == "beats_current":
            if holder is None:
                continue  # nothing to beat yet
            value = _metric(metrics, metric)
            current = _metric(holder_metrics or {}, metric)
            if value is None:
                failures.append(GateFailure(rule, f"rule '{rule.describe()}': {candidate} has no metric "
                                                  f"{rule.metric!r} to compare"))
                continue
            if current is None:
                continue  # the holder was never measured on it: the candidate wins by default
            gain = (value - current) if rule.higher_is_better else (current - value)
            if gain < rule.min_delta or (rule.min_delta == 0 and gain <= 0):
                failures.append(GateFailure(
                    rule, f"rule '{rule.describe()}': {candidate} has {rule.metric} = {value:g} but {holder} "
                          f"has {current:g} ({'+' if gain >= 0 else ''}{gain:.4g}; needs "
                          f"{'> 0' if rule.min_delta == 0 else f'>= {rule.min_delta:g}'})",
                    (rule.min_delta - gain) if rule.min_delta else -gain))
        elif rule.kind == "checks_passed":
            if not checks:
                failures.append(GateFailure(rule, f"rule 'all checks passed': {candidate}'s run has no check "
                                                  "results (run the model checks on it first)"))
                continue
            failed = [str(c.get("name") or "?") for c in checks
                      if str(c.get("status", "")).lower() not in _PASSING]
            if failed:
                failures.append(GateFailure(rule, f"rule 'all checks passed': {len(failed)} of {len(checks)} checks "
                                                  f"did not pass ({', '.join(failed[:5])})", float(len(failed))))
        elif rule.kind == "scan_passed":
            failures.extend(_scan_failure(rule, candidate, checks))
    return failures


# "warning": a scan check whose findings are all below the scan's failing level; "skipped": a check that
# could not apply (no sensitive attribute, no current version to compare with) and so found nothing.
_PASSING = ("passed", "pass", "ok", "success", "warning", "skipped")


def _scan_failure(rule: PromotionRule, candidate: str, checks: Sequence[Mapping[str, Any]] | None) -> list[GateFailure]:
    level = str(rule.severity or "high")
    scanned = [c for c in checks or () if c.get("scan_id")]
    if not scanned:
        return [GateFailure(rule, f"rule '{rule.describe()}': {candidate} has no model scan (run mlm.scan on it, "
                                  "or mlm scan models:/NAME/VERSION --data ... from a shell)")]
    bad = [c for c in scanned if c.get("severity") and severity_rank(str(c["severity"])) >= severity_rank(level)]
    if not bad:
        return []
    names = ", ".join(f"{c.get('name')} ({c.get('severity')})" for c in bad[:5])
    return [GateFailure(rule, f"rule '{rule.describe()}': {candidate}'s latest scan has findings at {level} or "
                              f"above in {names}", float(len(bad)))]
