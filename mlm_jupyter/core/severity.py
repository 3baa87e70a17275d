"""Severity levels of scan findings, ordered ``info < low < medium < high`` (no heavy imports: the registry gate uses it)."""

from __future__ import annotations

from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["SEVERITIES", "check_severity", "severity_rank"]

SEVERITIES = ("info", "low", "medium", "high")


def check_severity(severity: str) -> str:
    """A known severity name (case-insensitive), else an ``InvalidInputError``."""
    value = str(severity).strip().lower()
    if value not in SEVERITIES:
        raise InvalidInputError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}")
    return value


def severity_rank(severity: str) -> int:
    """0 for ``info`` ... 3 for ``high``."""
    return SEVERITIES.index(check_severity(severity))
