"""Findings, check results and the scan report: what a model scan found, as plain data.

Severities order ``info < low < medium < high``. A finding *fails* a scan when
its severity is at or above the scan's ``fail_on`` level (default ``high``);
each check's status is ``failed`` when one of its findings fails, ``warning``
when it has findings below that level, ``passed`` when it has none and
``skipped`` when it could not run (its ``reason`` says why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from mlm_jupyter.core.severity import SEVERITIES, check_severity, severity_rank

__all__ = ["CHECKS", "SEVERITIES", "CheckResult", "Estimate", "Finding", "ScanReport", "check_severity",
           "severity_rank"]

CHECKS = ("overfitting", "underfitting", "bias", "leakage", "fragility", "regression", "calibration", "slices")
REPORT_FORMAT = 1


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Estimate:
    """One number of a finding's evidence, with its confidence interval when a statistic is involved."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": _num(self.value), "low": _num(self.low), "high": _num(self.high),
                "n": None if self.n is None else int(self.n)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Estimate:
        return cls(str(data["label"]), data.get("value"), data.get("low"), data.get("high"), data.get("n"))

    def describe(self) -> str:
        if self.value is None:
            return f"{self.label}: n/a"
        text = f"{self.label} = {self.value:.4g}"
        if self.low is not None and self.high is not None:
            text += f" [{self.low:.4g}, {self.high:.4g}]"
        if self.n is not None:
            text += f" (n={self.n})"
        return text


@dataclass(frozen=True)
class Finding:
    """One problem a check found: what, how bad, the numbers behind it, and what to do."""

    check: str
    code: str
    severity: str
    title: str
    explanation: str
    fix: str
    evidence: tuple[Estimate, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", check_severity(self.severity))

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "code": self.code, "severity": self.severity, "title": self.title,
                "explanation": self.explanation, "fix": self.fix,
                "evidence": [e.to_dict() for e in self.evidence], "details": _jsonable(dict(self.details))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(str(data["check"]), str(data["code"]), str(data["severity"]), str(data["title"]),
                   str(data.get("explanation", "")), str(data.get("fix", "")),
                   tuple(Estimate.from_dict(e) for e in data.get("evidence") or ()), dict(data.get("details") or {}))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its findings plus the tables a report view draws (``details``)."""

    check: str
    findings: tuple[Finding, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def severity(self) -> str | None:
        """The worst severity among the findings (``None`` without findings)."""
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=severity_rank)

    def status(self, fail_on: str = "high") -> str:
        if self.skipped is not None:
            return "skipped"
        if not self.findings:
            return "passed"
        worst = self.severity or "info"
        return "failed" if severity_rank(worst) >= severity_rank(fail_on) else "warning"

    def to_dict(self, fail_on: str = "high") -> dict[str, Any]:
        return {"check": self.check, "status": self.status(fail_on), "severity": self.severity,
                "skipped": self.skipped, "seconds": round(float(self.seconds), 4),
                "findings": [f.to_dict() for f in self.findings], "details": _jsonable(dict(self.details))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(str(data["check"]), tuple(Finding.from_dict(f) for f in data.get("findings") or ()),
                   dict(data.get("details") or {}), data.get("skipped"), float(data.get("seconds") or 0.0))


def _jsonable(value: Any) -> Any:
    """Plain JSON values (numpy scalars to Python, NaN/inf to ``None``)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return str(value)


@dataclass(frozen=True)
class ScanReport:
    """Everything a model scan found. ``to_dict()`` is the JSON form documented in docs/scan.md."""

    checks: tuple[CheckResult, ...]
    task: str
    model: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    metric: Mapping[str, Any] = field(default_factory=dict)
    fail_on: str = "high"
    created_at: float = 0.0
    seconds: float = 0.0
    id: str = ""
    run_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fail_on", check_severity(self.fail_on))

    # ------------------------------------------------------------ verdicts

    @property
    def findings(self) -> list[Finding]:
        """Every finding, worst first."""
        found = [f for c in self.checks for f in c.findings]
        return sorted(found, key=lambda f: -severity_rank(f.severity))

    @property
    def worst_severity(self) -> str | None:
        found = self.findings
        return found[0].severity if found else None

    def passed_at(self, severity: str) -> bool:
        """True when no finding is at or above ``severity``."""
        rank = severity_rank(severity)
        return all(severity_rank(f.severity) < rank for f in self.findings)

    @property
    def passed(self) -> bool:
        """True when no finding is at or above the report's ``fail_on`` level."""
        return self.passed_at(self.fail_on)

    @property
    def verdict(self) -> str:
        return "passed" if self.passed else "failed"

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if severity_rank(f.severity) >= severity_rank(self.fail_on)]

    def check(self, name: str) -> CheckResult:
        for result in self.checks:
            if result.check == name:
                return result
        raise KeyError(name)

    # ------------------------------------------------------------ forms

    def to_dict(self) -> dict[str, Any]:
        counts = {s: 0 for s in SEVERITIES}
        for finding in self.findings:
            counts[finding.severity] += 1
        return {"format": REPORT_FORMAT, "id": self.id, "run_id": self.run_id, "created_at": self.created_at,
                "seconds": round(float(self.seconds), 4), "task": self.task, "fail_on": self.fail_on,
                "verdict": self.verdict, "worst_severity": self.worst_severity, "counts": counts,
                "model": _jsonable(dict(self.model)), "data": _jsonable(dict(self.data)),
                "metric": _jsonable(dict(self.metric)),
                "checks": [c.to_dict(self.fail_on) for c in self.checks]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScanReport:
        return cls(checks=tuple(CheckResult.from_dict(c) for c in data.get("checks") or ()),
                   task=str(data.get("task", "")), model=dict(data.get("model") or {}),
                   data=dict(data.get("data") or {}), metric=dict(data.get("metric") or {}),
                   fail_on=str(data.get("fail_on") or "high"), created_at=float(data.get("created_at") or 0.0),
                   seconds=float(data.get("seconds") or 0.0), id=str(data.get("id") or ""),
                   run_id=data.get("run_id"))

    def to_frame(self) -> Any:
        """One row per finding (worst first): check, code, severity, title, evidence, explanation, fix."""
        import pandas as pd

        rows = [{"check": f.check, "code": f.code, "severity": f.severity, "title": f.title,
                 "evidence": "; ".join(e.describe() for e in f.evidence), "explanation": f.explanation,
                 "fix": f.fix} for f in self.findings]
        return pd.DataFrame(rows, columns=["check", "code", "severity", "title", "evidence", "explanation", "fix"])

    def check_rows(self) -> list[dict[str, Any]]:
        """One row per check for the ``check_results`` table: name, status, severity, counts, summary."""
        rows = []
        for result in self.checks:
            worst = result.findings[0].title if result.findings else (result.skipped or "no finding")
            rows.append({"name": result.check, "status": result.status(self.fail_on), "severity": result.severity,
                         "findings": len(result.findings), "summary": worst[:500]})
        return rows

    def to_html(self) -> str:
        """A self-contained HTML page (no scripts, no external files) of this report."""
        from mlm_jupyter.core.scan_checks.report_html import render_report

        return render_report(self.to_dict())

    def _repr_html_(self) -> str:
        from mlm_jupyter.core.scan_checks.report_html import render_report

        return render_report(self.to_dict(), fragment=True)

    def summary(self) -> str:
        """A few lines of plain text: the verdict and each finding."""
        lines = [f"scan {self.verdict} (fail on {self.fail_on}): {len(self.findings)} finding(s), "
                 f"worst {self.worst_severity or 'none'}"]
        for finding in self.findings:
            lines.append(f"  [{finding.severity}] {finding.check}: {finding.title}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ScanReport(task={self.task!r}, verdict={self.verdict!r}, findings={len(self.findings)})"

    def __str__(self) -> str:
        return self.summary()


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: -severity_rank(f.severity)))
