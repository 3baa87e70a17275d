"""Model scan checks: pure functions over a model's predictions and data (no store, no Jupyter).

One module per check family: ``fitting`` (overfitting, underfitting),
``bias``, ``leakage``, ``fragility``, ``champion`` (regression against the
current version), ``calibration``, ``slices``. ``run_checks`` runs the chosen
ones over one ``ScanInputs`` and returns their ``CheckResult``s;
``tracking.scan`` builds the inputs, calls it and stores the ``ScanReport``.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.scan_checks.bias import check_bias
from mlm_jupyter.core.scan_checks.calibration import check_calibration
from mlm_jupyter.core.scan_checks.champion import check_regression
from mlm_jupyter.core.scan_checks.findings import (
    CHECKS,
    SEVERITIES,
    CheckResult,
    Estimate,
    Finding,
    ScanReport,
    check_severity,
    severity_rank,
)
from mlm_jupyter.core.scan_checks.fitting import Curve, check_overfitting, check_underfitting, pair_curves
from mlm_jupyter.core.scan_checks.fragility import check_fragility
from mlm_jupyter.core.scan_checks.inputs import ScanInputs, as_frame, feature_kinds, infer_task
from mlm_jupyter.core.scan_checks.leakage import check_leakage
from mlm_jupyter.core.scan_checks.slices import check_slices

__all__ = ["CHECKS", "SEVERITIES", "CheckResult", "Curve", "Estimate", "Finding", "ScanInputs", "ScanReport",
           "as_frame", "check_severity", "feature_kinds", "infer_task", "pair_curves", "run_checks",
           "select_checks", "severity_rank"]


def select_checks(checks: Sequence[str] | str | None) -> tuple[str, ...]:
    """The checks to run, in the standard order (``None``: all)."""
    if checks is None:
        return CHECKS
    wanted = [checks] if isinstance(checks, str) else list(checks)
    unknown = [c for c in wanted if c not in CHECKS]
    if unknown:
        raise InvalidInputError(f"unknown check(s) {', '.join(map(repr, unknown))}; the checks are {', '.join(CHECKS)}")
    return tuple(c for c in CHECKS if c in wanted)


def run_checks(inputs: ScanInputs, checks: Sequence[str] = CHECKS, *, curves: Sequence[Curve] = (),
               attributes: Mapping[str, Any] | None = None, champion_pred: Any = None,
               champion: str = "the current version", sketch_overlap: Mapping[str, Any] | None = None,
               lineage_shared: Sequence[Mapping[str, Any]] = (), noise: float = 0.05,
               progress: Callable[[str], None] | None = None) -> list[CheckResult]:
    """Run ``checks`` over ``inputs``; a check that raises becomes a skipped result naming the error."""
    runners: dict[str, Callable[[], CheckResult]] = {
        "overfitting": lambda: check_overfitting(inputs, curves),
        "underfitting": lambda: check_underfitting(inputs),
        "bias": lambda: check_bias(inputs, attributes or {}),
        "leakage": lambda: check_leakage(inputs, sketch_overlap=sketch_overlap, lineage_shared=lineage_shared),
        "fragility": lambda: check_fragility(inputs, noise=noise, sensitive=tuple(attributes or ())),
        "regression": lambda: check_regression(inputs, champion_pred, champion),
        "calibration": lambda: check_calibration(inputs),
        "slices": lambda: check_slices(inputs),
    }
    results = []
    for name in checks:
        if progress is not None:
            progress(name)
        started = time.perf_counter()
        try:
            result = runners[name]()
        except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, FloatingPointError,
                MemoryError) as error:
            result = CheckResult(name, skipped=f"the check failed: {type(error).__name__}: {error}"[:300])
        results.append(CheckResult(result.check, result.findings, result.details, result.skipped,
                                   time.perf_counter() - started))
    return results
