"""Building a DriftReport: a window of a model version's logs against its reference, with its thresholds.

Per feature the test follows ``core.drift.choose_method``; numeric tests run
on the window's reservoir sample (all rows when the window is small),
categorical ones on the exact category counts. Prediction drift compares the
logged predictions with the model's own predictions on the reference sample
(computed once per model file and reference, and cached beside the logs).
Skew reads the exact per-column counts. Thresholds are the model's stored
ones (``set_monitor_thresholds``) updated with any passed in.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pyarrow as pa

from mlm_jupyter.core.drift import (
    DriftThresholds, FeatureDrift, categorical_test, choose_method, numeric_test, verdict,
)
from mlm_jupyter.core.drift_report import DriftReport
from mlm_jupyter.core.durations import parse_duration
from mlm_jupyter.core.errors import InvalidInputError, MlmError
from mlm_jupyter.core.inference_batch import PREDICTION, RESERVED_PREFIX
from mlm_jupyter.core.skew import schema_skew
from mlm_jupyter.core.summaries import HIST_BINS, ColumnSummary, WindowSummary, column_kind, numeric_values, \
    summarize_table
from mlm_jupyter.tracking.monitor_files import MONITORING_DIR, LogLayout, write_parquet_atomic
from mlm_jupyter.tracking.monitor_summaries import reference_bins
from mlm_jupyter.tracking.monitor_window import raw_rows, summary_from_rows, window_summary
from mlm_jupyter.tracking.reference import Reference, reference_for

if TYPE_CHECKING:
    from mlm_jupyter.core.model_entities import ModelVersion
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["build_history", "build_report", "history_record", "thresholds_for"]

log = logging.getLogger("mlm_jupyter")
_CHART_CATEGORIES = 12


def thresholds_for(client: MlmClient, name: str, overrides: Any = None) -> DriftThresholds:
    """The model's stored thresholds, updated with ``overrides`` (a dict or ``DriftThresholds``)."""
    stored = DriftThresholds.from_dict(client.store.read("monitor_thresholds", name=name))
    if overrides is None:
        return stored
    if isinstance(overrides, DriftThresholds):
        return overrides
    if not isinstance(overrides, Mapping):
        raise InvalidInputError("thresholds must be a dict such as {'drift_share': 0.3} or a DriftThresholds")
    return stored.updated(overrides)


def _time(value: Any) -> float:
    if value is None:
        return time.time()
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    if isinstance(value, (int, float)):
        return float(value)
    import pandas as pd

    return float(pd.Timestamp(value).timestamp())


def _values(table: pa.Table | None, name: str) -> np.ndarray:
    if table is None or name not in table.column_names:
        return np.array([], dtype=np.float64)
    return numeric_values(table.column(name))


def _labels(table: pa.Table | None, name: str) -> list[str]:
    if table is None or name not in table.column_names:
        return []
    column = table.column(name)
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    kind = column_kind(column.type)
    if kind == "numeric":
        return [repr(float(v)) for v in numeric_values(column)]
    return [str(v) for v in column.drop_null().to_pylist()]


def _counts(keys: list[str], ref: Mapping[str, int], cur: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([ref.get(k, 0) for k in keys], dtype=np.float64),
            np.array([cur.get(k, 0) for k in keys], dtype=np.float64))


def _tally(labels: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    return counts


def _compare(name: str, reference: pa.Table, ref_summary: ColumnSummary | None, current: WindowSummary,
             thresholds: DriftThresholds, charts: dict[str, Any],
             sorted_values: dict[str, np.ndarray] | None = None) -> FeatureDrift | None:
    ref_column = reference.column(name)
    kind = column_kind(ref_column.type)
    if kind not in ("numeric", "categorical", "bool"):
        return None
    cur_summary = current.columns.get(name)
    sample = current.sample.table
    if kind == "numeric":
        cached = sorted_values.get(name) if sorted_values is not None else None
        ref_values = cached if cached is not None else np.sort(_values(reference, name), kind="stable")
        if sorted_values is not None:
            sorted_values[name] = ref_values  # sorted once for every use below and every later window
        n_unique = int(np.count_nonzero(np.diff(ref_values))) + 1 if len(ref_values) else 0
    else:
        ref_values = np.array([])
        n_unique = len(ref_summary.categories) if ref_summary else 0
    n_ref = int(ref_summary.count) if ref_summary else 0
    n_cur = int(cur_summary.count) if cur_summary else 0
    method, treat = choose_method(kind, n_ref, n_cur, n_unique, thresholds, name)
    threshold = thresholds.threshold_for(method, name)
    if n_cur == 0 or n_ref == 0:
        return FeatureDrift(name, treat, method, None, None, threshold, False, n_ref, n_cur,
                            "no values to compare" if n_ref else "no values in the reference")
    note = ""
    if treat == "numeric":
        cur_values = _values(sample, name)
        if len(cur_values) < n_cur:
            note = f"tested on a uniform sample of {len(cur_values)} of {n_cur} serving values"
        statistic, p_value = numeric_test(method, ref_values, cur_values)
        low, high = float(ref_values.min()), float(ref_values.max())
        edges = np.linspace(low, high if high > low else low + 1, HIST_BINS + 1)
        ref_hist = np.histogram(np.clip(ref_values, low, high), edges)[0]
        cur_hist = np.histogram(np.clip(cur_values, low, high), edges)[0] if len(cur_values) else ref_hist * 0
        charts[name] = {"kind": "numeric", "edges": [float(e) for e in edges],
                        "reference": (ref_hist / max(ref_hist.sum(), 1)).round(5).tolist(),
                        "current": (cur_hist / max(cur_hist.sum(), 1)).round(5).tolist()}
    else:
        if kind == "numeric":  # a number with few distinct values: compare its values as categories
            ref_counts, cur_counts = _tally(_labels(reference, name)), _tally(_labels(sample, name))
        else:
            ref_counts = dict(ref_summary.categories) if ref_summary else {}
            cur_counts = dict(cur_summary.categories) if cur_summary else {}
        keys = sorted(set(ref_counts) | set(cur_counts), key=lambda k: -(ref_counts.get(k, 0) + cur_counts.get(k, 0)))
        ref_vector, cur_vector = _counts(keys, ref_counts, cur_counts)
        statistic, p_value = categorical_test(method, ref_vector, cur_vector)
        shown = keys[:_CHART_CATEGORIES]
        charts[name] = {"kind": "categorical", "categories": shown,
                        "reference": (ref_vector[:len(shown)] / max(ref_vector.sum(), 1)).round(5).tolist(),
                        "current": (cur_vector[:len(shown)] / max(cur_vector.sum(), 1)).round(5).tolist()}
    return FeatureDrift(name, treat, method, float(statistic), None if p_value is None else float(p_value),
                        threshold, verdict(method, statistic, p_value, threshold), n_ref, n_cur, note)


def _out_of_range(reference: Mapping[str, ColumnSummary], current: WindowSummary, bins_match: bool) -> dict[str, float]:
    shares = {}
    for name, ref in reference.items():
        cur = current.columns.get(name)
        if cur is None or ref.kind != "numeric" or ref.min is None or ref.max is None or not cur.count:
            continue
        if bins_match and cur.hist is not None:
            shares[name] = (cur.hist[0] + cur.hist[-1]) / max(sum(cur.hist), 1)
            continue
        values = _values(current.sample.table, name)
        if len(values):
            shares[name] = float(((values < ref.min) | (values > ref.max)).mean())
    return shares


def _reference_predictions(client: MlmClient, model_version: ModelVersion, reference: Reference) -> pa.Array | None:
    """The model's predictions on the reference sample (cached per model file and reference)."""
    directory = getattr(client.store, "directory", None)
    cache = Path(directory) / MONITORING_DIR / "reference_predictions" / \
        f"{model_version.sha256[:32]}-{reference.key}.parquet" if directory else None
    if cache is not None and cache.exists():
        import pyarrow.parquet as pq

        return pq.read_table(cache).column(PREDICTION).combine_chunks()
    model = client.load_model(model_version.uri)
    frame = reference.table.to_pandas()
    names = model_version.signature.input_names if model_version.signature else []
    if names and set(names) <= set(frame.columns):
        frame = frame[names]
    predicted = np.asarray(model.predict(frame))
    if predicted.ndim != 1:
        return None
    array = pa.array(predicted)
    if cache is not None:
        write_parquet_atomic(pa.table({PREDICTION: array}), cache)
    return array


@dataclass
class _Basis:
    """What every report of one version against one reference shares (read once for a series of windows)."""

    model_version: ModelVersion
    alias: str | None
    limits: DriftThresholds
    ref: Reference
    layout: LogLayout
    bins: dict[str, tuple[float, float]]
    ref_summaries: dict[str, ColumnSummary]
    types: dict[str, str]
    signature: list[tuple[str, str]]
    sorted_values: dict[str, np.ndarray] = field(default_factory=dict)
    predicted: Any = None
    prediction_error: str | None = None
    predicted_read: bool = False


def _basis(client: MlmClient, model_version: ModelVersion, reference: Any, thresholds: Any,
           alias: str | None) -> _Basis:
    limits = thresholds_for(client, model_version.name, thresholds)
    ref = reference_for(client, model_version, reference)
    directory = getattr(client.store, "directory", None)
    if directory is None:
        raise MlmError("this store's inference logs are not on this machine; ask the server for the report "
                       "(GET /mlm/api/models/{name}/monitor/report)")
    types = dict(ref.schema)
    if not types:
        from mlm_jupyter.core.fingerprint_tables import arrow_logical_type

        types = {n: arrow_logical_type(ref.table.column(n).type) for n in ref.table.column_names}
    signature = [(s.name, s.dtype) for s in model_version.signature.inputs if s.name] \
        if model_version.signature else []
    bins = reference_bins(ref.table)
    return _Basis(model_version, alias, limits, ref, LogLayout(directory), bins, summarize_table(ref.table, bins),
                  types, signature)


def _reference_predictions_once(client: MlmClient, basis: _Basis) -> Any:
    if not basis.predicted_read:
        basis.predicted_read = True
        try:
            basis.predicted = _reference_predictions(client, basis.model_version, basis.ref)
        except (MlmError, ValueError, TypeError, AttributeError, KeyError) as error:
            basis.prediction_error = f"prediction drift not computed: the model could not predict on the " \
                                     f"reference ({error})"
    return basis.predicted


def _report(client: MlmClient, basis: _Basis, begin: float, stop: float) -> DriftReport:
    model_version, ref, limits = basis.model_version, basis.ref, basis.limits
    notes: list[str] = []
    version = int(model_version.version)
    current = window_summary(basis.layout, model_version.name, version, begin, stop)
    if current is None or current.rows == 0:
        rows = raw_rows(basis.layout, model_version.name, version, begin, stop)
        if rows is not None:
            notes.append("summaries missing for this range: computed from the raw logs")
            current = summary_from_rows(rows, begin, stop, basis.bins, ref.key)
    if current is None:
        current = WindowSummary(begin, stop - begin)
    bins_match = bool(current.bins_key) and current.bins_key == ref.key
    charts: dict[str, Any] = {}
    features = []
    for name in ref.table.column_names:
        if name.startswith(RESERVED_PREFIX) or name not in current.columns:
            continue
        result = _compare(name, ref.table, basis.ref_summaries.get(name), current, limits, charts,
                          basis.sorted_values)
        if result is not None:
            features.append(result)
    prediction = None
    if current.rows and PREDICTION in current.columns:
        predicted = _reference_predictions_once(client, basis)
        if basis.prediction_error:
            notes.append(basis.prediction_error)
        if predicted is not None:
            ref_table = pa.table({PREDICTION: predicted})
            prediction = _compare(PREDICTION, ref_table, summarize_table(ref_table)[PREDICTION], current, limits,
                                  charts)
    served = {k: v for k, v in current.columns.items() if not k.startswith(RESERVED_PREFIX)}
    skew = schema_skew(basis.types, basis.ref_summaries, served,
                       out_of_range=_out_of_range(basis.ref_summaries, current, bins_match),
                       signature=basis.signature, thresholds=limits, rows=current.rows)
    return DriftReport(model=model_version.name, version=version, start=begin, end=stop,
                       rows=current.rows, reference=ref.describe(), features=tuple(features), skew=tuple(skew),
                       prediction=prediction, thresholds=limits, distributions=charts, alias=basis.alias,
                       notes=tuple(notes))


def build_report(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d", reference: Any = None,
                 end: Any = None, thresholds: Any = None, alias: str | None = None) -> DriftReport:
    """The drift and skew report of ``model_version`` over the last ``window`` before ``end`` (default now)."""
    seconds = parse_duration(window)
    stop = _time(end)
    return _report(client, _basis(client, model_version, reference, thresholds, alias), stop - seconds, stop)


MAX_HISTORY_WINDOWS = 1000


def history_record(report: DriftReport) -> dict[str, Any]:
    """One period of ``build_history``: the fields the drift views plot (epoch seconds for times)."""
    return {"start": report.start, "end": report.end, "rows": report.rows, "verdict": report.verdict,
            "alarm": report.alarm if report.rows else False,
            "drift_share": report.drift_share if report.features and report.rows else None,
            "dataset_drift": report.dataset_drift, "prediction_drift": report.prediction_drift,
            "skew_detected": report.skew_detected, "drifted_features": list(report.drifted_features[:50])}


def build_history(client: MlmClient, model_version: ModelVersion, *, window: Any = "1d", every: Any = "1h",
                  reference: Any = None, end: Any = None, thresholds: Any = None,
                  alias: str | None = None) -> list[dict[str, Any]]:
    """Drift per period: the last ``window`` before ``end`` cut into periods of ``every`` on the UTC grid
    (so each period holds whole summary windows), oldest first; a period without logs has ``rows`` 0 and
    verdict ``no data``. The reference, its summaries and the model's predictions on it are read once."""
    seconds = parse_duration(window)
    step = parse_duration(every, "every")
    if step < 60:
        raise InvalidInputError(f"every must be at least a minute, got {every!r}")
    stop = _time(end)
    first = math.floor((stop - seconds) / step) * step
    last = math.floor((stop - 1e-6) / step) * step  # the period that holds ``end`` (it may be partly elapsed)
    count = int(round((last - first) / step)) + 1
    if count > MAX_HISTORY_WINDOWS:
        raise InvalidInputError(f"{count} periods of {every!r} in {window!r}: at most {MAX_HISTORY_WINDOWS}; "
                                "use a longer 'every' or a shorter 'window'")
    basis = _basis(client, model_version, reference, thresholds, alias)
    return [history_record(_report(client, basis, first + i * step, first + (i + 1) * step)) for i in range(count)]
