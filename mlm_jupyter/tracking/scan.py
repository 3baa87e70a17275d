"""``mlm.scan``: scan a model for overfitting, underfitting, bias, leakage, fragility, regressions,
miscalibration and weak slices, and store the report with the run and the model version.

This module calls the model, gathers what only the store knows (the run's
learning curves, the logged datasets' row sketches and lineage, the version
an alias points to now) and hands everything to the pure checks in
``core.scan_checks``. The report is stored as a JSON blob plus one
``check_results`` row per check, which the registry's promotion gates read.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import pandas as pd

from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError
from mlm_jupyter.core.model_entities import ModelVersion, parse_model_uri
from mlm_jupyter.core.scan_checks import (
    Curve,
    ScanInputs,
    ScanReport,
    as_frame,
    feature_kinds,
    infer_task,
    pair_curves,
    run_checks,
    select_checks,
)
from mlm_jupyter.core.scan_checks.findings import check_severity
from mlm_jupyter.core.scan_checks.leakage import shared_ancestors
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.model_curves import model_curves
from mlm_jupyter.tracking.runs import current_user

if TYPE_CHECKING:
    from mlm_jupyter.tracking.client import MlmClient

__all__ = ["get_scan", "scan", "scan_reports", "scan_with", "version_scan"]

log = logging.getLogger("mlm_jupyter")
Array = np.ndarray[Any, Any]
MAX_TRAIN_SCORED = 50_000
_TRAIN_ROLES = ("train", "training")
_TEST_ROLES = ("test", "testing", "validation", "valid", "val", "holdout", "eval")


class _Progress:
    """A tqdm.auto bar over the checks when a person is watching (a terminal or a notebook), else silent."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.bar: Any = None
        if enabled is None:
            enabled = _interactive()
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, desc="mlm scan", unit="check", leave=False)

    def step(self, name: str) -> None:
        if self.bar is not None:
            if self.bar.n or getattr(self, "_started", False):
                self.bar.update(1)
            self._started = True
            self.bar.set_postfix_str(name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.close()


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _labels(y: Any, what: str) -> Array:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InvalidInputError(f"{what} must be one column of labels, got a table with {y.shape[1]} columns")
        y = y.iloc[:, 0]
    array = np.asarray(y)
    if array.ndim != 1:
        array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1:
        raise InvalidInputError(f"{what} must be one label per row, got an array of shape {array.shape}")
    return array


def _predict(model: Any, X: pd.DataFrame) -> Array:
    try:
        return np.asarray(model.predict(X))
    except Exception as error:  # the model refused the data: say which data, keep the model's reason
        raise InvalidInputError(f"the model's predict failed on the scan data: {type(error).__name__}: {error}"
                                ) from error


def _proba(model: Any, X: pd.DataFrame) -> Array | None:
    if not hasattr(model, "predict_proba"):
        return None
    try:
        return np.asarray(model.predict_proba(X), dtype=float)
    except Exception:  # e.g. SVC(probability=False) exposes the method but refuses to answer
        return None


def _attributes(sensitive: Any, X_test: pd.DataFrame) -> dict[str, Array]:
    if sensitive is None:
        return {}
    if isinstance(sensitive, str):
        sensitive = [sensitive]
    out: dict[str, Array] = {}
    if isinstance(sensitive, Mapping):
        items = list(sensitive.items())
    else:
        items = []
        for name in sensitive:
            if name not in X_test.columns:
                raise InvalidInputError(
                    f"sensitive attribute {name!r} is not a column of the test data (columns: "
                    f"{', '.join(map(str, list(X_test.columns)[:12]))}); pass sensitive={{{name!r}: values}} with one "
                    "value per test row when the model does not take it as a feature")
            items.append((name, X_test[name]))
    for name, values in items:
        array = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values, dtype=object)
        if array.ndim != 1 or len(array) != len(X_test):
            raise InvalidInputError(f"sensitive attribute {name!r} needs one value per test row "
                                    f"({len(X_test)}), got {array.shape}")
        out[str(name)] = array
    return out


def _resolve(client: MlmClient | None, model: Any, trust_pickle: bool) -> tuple[Any, dict[str, Any],
                                                                            ModelVersion | None]:
    """The model object, its description, and the registered version it is (if it came from a URI)."""
    if isinstance(model, str) and model.startswith(("models:/", "runs:/")):
        if client is None:
            raise InvalidInputError("scanning a models:/ or runs:/ URI needs a store")
        parsed = parse_model_uri(model)
        version = None
        if parsed.kind == "models":
            version = client.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
        loaded = client.load_model(f"models:/{version.name}/{version.version}" if version else model,
                                   trust_pickle=trust_pickle)
        info: dict[str, Any] = {"uri": model, "type": type(loaded).__name__, "module": type(loaded).__module__}
        if version is not None:
            info.update({"name": version.name, "version": version.version, "flavor": version.flavor,
                         "run_id": version.run_id})
        return loaded, info, version
    if isinstance(model, str):
        raise InvalidInputError(f"model {model!r:.80} is text: give a fitted model, or a models:/NAME/VERSION or "
                                "runs:/<run id>/model URI")
    if not hasattr(model, "predict"):
        raise InvalidInputError(f"a {type(model).__name__} has no predict method; give a fitted scikit-learn-"
                                "compatible model or a models:/ URI")
    return model, {"type": type(model).__name__, "module": type(model).__module__}, None


class _Selecting:
    """A model that was fitted on named columns, given only those of a wider frame (a sensitive column, an id)."""

    def __init__(self, model: Any, columns: list[str]) -> None:
        self.model, self.columns = model, columns
        self.classes_ = getattr(model, "classes_", None)
        if hasattr(model, "predict_proba"):
            self.predict_proba = lambda X: model.predict_proba(X[self.columns])

    def predict(self, X: pd.DataFrame) -> Any:
        return self.model.predict(X[self.columns])

    def __getattr__(self, name: str) -> Any:  # staged_predict, evals_result, ... of the wrapped model
        return getattr(self.model, name)


def _column_selecting(model: Any, X: pd.DataFrame) -> Any:
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return model
    columns = [str(c) for c in names]
    if set(columns) <= set(map(str, X.columns)) and len(columns) < len(X.columns):
        return _Selecting(model, columns)
    return model


def _champion(client: MlmClient | None, version: ModelVersion | None, baseline: Any, alias: str,
              trust_pickle: bool) -> tuple[Any, str, str | None]:
    """``(model, description, reason it is missing)`` of what the candidate must not be worse than."""
    if baseline is not None:
        if isinstance(baseline, str):
            loaded, info, other = _resolve(client, baseline, trust_pickle)
            return loaded, f"{other.name} v{other.version}" if other else baseline, None
        return baseline, f"the baseline {type(baseline).__name__}", None
    if version is None or client is None:
        return None, "", None
    try:
        holder = client.get_model_version(version.name, alias=alias)
    except NotFoundError:
        return None, "", f"no version of {version.name} holds '{alias}' yet"
    if holder.version == version.version:
        return None, "", f"v{version.version} already holds '{alias}'"
    try:
        loaded = client.load_model(f"models:/{holder.name}/{holder.version}", trust_pickle=trust_pickle)
    except MlmError as error:
        return None, "", f"could not load {holder.name}@{alias} (v{holder.version}): {error.message}"
    return loaded, f"{holder.name}@{alias} (v{holder.version})", None


def _history_curves(client: MlmClient, run_id: str) -> list[Curve]:
    run = client.get_run(run_id)
    curves = []
    for train_key, val_key, lower in pair_curves(sorted(run.metrics)):
        train = client.get_metric_history(run_id, train_key)
        val = client.get_metric_history(run_id, val_key)
        curves.append(Curve(val_key, train["step"].to_numpy(), train["value"].to_numpy(), val["step"].to_numpy(),
                            val["value"].to_numpy(), lower, f"history of run {run_id[:8]}"))
    return curves


def _run_data_evidence(client: MlmClient, run_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Row-sketch overlap of the run's logged train and test data, and their shared transformed ancestors."""
    run = client.get_run(run_id)
    train = [i for i in run.inputs if i.role.lower() in _TRAIN_ROLES]
    test = [i for i in run.inputs if i.role.lower() in _TEST_ROLES]
    overlap = None
    if train and test:
        a = getattr(train[0].fingerprint, "row_sketch", None)
        b = getattr(test[0].fingerprint, "row_sketch", None)
        if a is not None and b is not None:
            overlap = {**a.overlap(b).to_dict(), "train": train[0].name, "test": test[0].name}
    shared: list[dict[str, Any]] = []
    if train and test:
        graph = client.lineage(run_id).to_dict()
        root = f"run:{run_id}"
        nodes = {n["id"]: n for n in graph.get("nodes", [])}
        train_nodes = [e["source"] for e in graph.get("edges", []) if e["target"] == root
                       and str(e["label"]).lower() in _TRAIN_ROLES and nodes.get(e["source"], {}).get("type") == "data"]
        test_nodes = [e["source"] for e in graph.get("edges", []) if e["target"] == root
                      and str(e["label"]).lower() in _TEST_ROLES and nodes.get(e["source"], {}).get("type") == "data"]
        if train_nodes and test_nodes:
            shared = shared_ancestors(graph, train_nodes[0], test_nodes[0])
    return overlap, shared


def scan_with(client: MlmClient | None, model: Any, X_test: Any, y_test: Any, *, train: Any = None,
              sensitive: Any = None, task: str | None = None, checks: Sequence[str] | str | None = None,
              baseline: Any = None, alias: str = "production", fail_on: str = "high", run_id: str | None = None,
              noise: float = 0.05, seed: int = 0, trust_pickle: bool = False, store: bool = True,
              progress: bool | None = None) -> ScanReport:
    """``mlm.scan`` on an explicit client (``None``: scan without a store, nothing recorded).

    See ``mlm.scan`` for the arguments.
    """
    started = time.perf_counter()
    fail_on = check_severity(fail_on)
    wanted = select_checks(checks)
    resolved, info, version = _resolve(client, model, trust_pickle)
    X = as_frame(X_test)
    y = _labels(y_test, "y_test")
    if len(X) != len(y):
        raise InvalidInputError(f"X_test has {len(X)} rows but y_test has {len(y)} labels")
    if len(X) == 0:
        raise InvalidInputError("the test data is empty; a scan needs rows to judge the model on")
    X = X.reset_index(drop=True)
    attributes = _attributes(sensitive, X)
    X_train = y_train = None
    if train is not None:
        if not isinstance(train, (tuple, list)) or len(train) != 2:
            raise InvalidInputError("train= takes a pair (X_train, y_train)")
        X_train = as_frame(train[0]).reset_index(drop=True)
        y_train = _labels(train[1], "y_train")
        if len(X_train) != len(y_train):
            raise InvalidInputError(f"X_train has {len(X_train)} rows but y_train has {len(y_train)} labels")
    resolved = _column_selecting(resolved, X)
    classes = getattr(resolved, "classes_", None)
    if task is not None and task not in ("binary", "multiclass", "regression", "classification"):
        raise InvalidInputError(f"task is 'binary', 'multiclass', 'classification' or 'regression', not {task!r}")
    pred = _predict(resolved, X)
    if task == "classification" or task is None:
        inferred = infer_task(y, classes)
        task = inferred if task is None or inferred != "regression" else ("binary" if len(np.unique(y)) <= 2
                                                                           else "multiclass")
    proba = _proba(resolved, X) if task != "regression" else None
    if proba is not None and (classes is None or proba.shape != (len(X), len(classes))):
        proba = None
    rng = np.random.default_rng(seed)
    pred_train = y_scored = None
    if X_train is not None and y_train is not None and ("overfitting" in wanted):
        index = np.arange(len(X_train)) if len(X_train) <= MAX_TRAIN_SCORED else \
            np.sort(rng.choice(len(X_train), MAX_TRAIN_SCORED, replace=False))
        pred_train = _predict(resolved, X_train.iloc[index])
        y_scored = y_train[index]
    inputs = ScanInputs(task, X, y, pred, proba, None if classes is None else np.asarray(classes), X_train, y_train,
                        None, feature_kinds(X), tuple(attributes), lambda frame: np.asarray(resolved.predict(frame)),
                        seed)
    inputs.pred_train = pred_train
    inputs.y_train_scored = y_scored
    anchor = run_id
    if anchor is None and client is not None:
        from mlm_jupyter.tracking import fluent

        active = fluent.active_run() if client is fluent._client else None
        anchor = active.id if active is not None else None
    history_run = anchor or (version.run_id if version else None)
    curves: list[Curve] = []
    overlap: dict[str, Any] | None = None
    shared: list[dict[str, Any]] = []
    if client is not None and history_run:
        try:
            if "overfitting" in wanted:
                curves = _history_curves(client, history_run)
            if "leakage" in wanted:
                overlap, shared = _run_data_evidence(client, history_run)
        except MlmError as error:  # the scan goes on without the store's evidence
            log.warning("mlm-jupyter: the scan could not read run %s's history: %s", history_run, error.message)
    if "overfitting" in wanted:
        curves += model_curves(resolved, inputs)
    champion, champion_name, champion_missing = (None, "", None)
    if "regression" in wanted:
        champion, champion_name, champion_missing = _champion(client, version, baseline, alias, trust_pickle)
    champion_pred = _predict(_column_selecting(champion, X), X) if champion is not None else None
    bar = _Progress(len(wanted), progress)
    try:
        results = run_checks(inputs, wanted, curves=curves, attributes=attributes, champion_pred=champion_pred,
                             champion=champion_name or "the current version", sketch_overlap=overlap,
                             lineage_shared=shared, noise=noise, progress=bar.step)
    finally:
        bar.close()
    if champion_missing:
        results = [r if r.check != "regression" else type(r)(r.check, r.findings, r.details, champion_missing,
                                                               r.seconds) for r in results]
    report = ScanReport(
        tuple(results), task, model=info,
        data={"n_test": len(X), "n_train": None if X_train is None else len(X_train), "features": len(X.columns),
              "sensitive": list(attributes), "kinds": dict(inputs.kinds)},
        metric={"name": inputs.metric_name, "value": inputs.test_score()}, fail_on=fail_on, created_at=time.time(),
        seconds=time.perf_counter() - started, id=uuid.uuid4().hex, run_id=anchor or (version.run_id if version
                                                                                        else None))
    if store and client is not None and (anchor or version is not None):
        _record(client, report, version, info.get("uri"))
    return report


def _record(client: MlmClient, report: ScanReport, version: ModelVersion | None, uri: str | None) -> None:
    body = json.dumps(report.to_dict(), allow_nan=False, separators=(",", ":")).encode("utf-8")
    try:
        sha = client.store.put_blob(body)
        client.store.write(WriteBatch.of(Op("record_scan", {
            "id": report.id, "run_id": report.run_id, "model_name": version.name if version else None,
            "model_version": version.version if version else None, "model_uri": uri, "task": report.task,
            "verdict": report.verdict, "worst_severity": report.worst_severity, "fail_on": report.fail_on,
            "findings": len(report.findings), "report_sha256": sha, "seconds": report.seconds,
            "created_at": report.created_at, "user": current_user(), "checks": report.check_rows()})))
    except MlmError as error:
        log.warning("mlm-jupyter: the scan report could not be stored (%s); the report is returned anyway",
                    error.message)


def scan(model: Any, X_test: Any, y_test: Any, *, train: Any = None, sensitive: Any = None, task: str | None = None,
         checks: Sequence[str] | str | None = None, baseline: Any = None, alias: str = "production",
         fail_on: str = "high", noise: float = 0.05, seed: int = 0, trust_pickle: bool = False,
         progress: bool | None = None) -> ScanReport:
    """Scan a model for overfitting, underfitting, bias, leakage, fragility, regressions, calibration and weak slices.

    The report is stored with the active run and, when ``model`` is a registered version
    (``models:/NAME/3``, ``models:/NAME@candidate``), with that version; the registry's
    ``scan_passed`` and ``checks_passed`` promotion rules read it.

    Args:
        model: a fitted scikit-learn-compatible model (pipelines, XGBoost, LightGBM included) or a
            ``models:/`` / ``runs:/`` URI.
        X_test, y_test: data the model did not train on, and its labels.
        train: ``(X_train, y_train)``: enables the train/test gap and the leakage checks.
        sensitive: column names of ``X_test`` (or ``{name: values}``, one value per test row) to check for bias.
        task: ``"binary"``, ``"multiclass"``, ``"regression"`` (default: inferred from the model and labels).
        checks: run only these checks (default: all of ``core.scan_checks.CHECKS``).
        baseline: the model the candidate must not be worse than (a model or URI); by default the version
            ``alias`` points to, when ``model`` is another version of the same registered model.
        alias: whose holder is the default baseline (``"production"``).
        fail_on: the severity from which a finding fails the scan (``"high"``).
        noise: perturbation size of the fragility check, as a share of each feature's spread.
        seed: seeds every sample and bootstrap (same data, same numbers).
        trust_pickle: allow loading pickle-flavor models from URIs.
        progress: show a progress bar (default: in terminals and notebooks).

    Returns:
        A ``ScanReport`` (``.findings``, ``.passed``, ``.to_dict()``, ``.to_frame()``, ``.to_html()``).
    """
    from mlm_jupyter.tracking import fluent

    client = fluent.get_client()
    return scan_with(client, model, X_test, y_test, train=train, sensitive=sensitive, task=task, checks=checks,
                     baseline=baseline, alias=alias, fail_on=fail_on, noise=noise, seed=seed,
                     trust_pickle=trust_pickle, progress=progress)


def scan_reports(client: MlmClient, *, run_id: str | None = None, name: str | None = None,
                 version: int | None = None, limit: int = 100) -> pd.DataFrame:
    """Stored scans (newest first): id, run, model, version, verdict, worst severity, time."""
    client.flush()
    rows = client.store.read("scans", run_id=run_id, name=name, version=version, limit=limit)
    columns = ["id", "created_at", "run_id", "model_name", "model_version", "task", "verdict", "worst_severity",
               "findings", "fail_on"]
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    frame["created_at"] = pd.to_datetime(frame["created_at"], unit="s", utc=True)
    return frame


def get_scan(client: MlmClient, scan_id: str) -> ScanReport:
    """A stored scan report by id (its JSON blob verified by sha256)."""
    row = client.store.read("scan", scan_id=scan_id)
    return ScanReport.from_dict(json.loads(client.store.read_blob(row["report_sha256"])))


def version_scan(client: MlmClient, name: str, version: int) -> ScanReport | None:
    """The latest scan of a registered version (or of its run), ``None`` if it was never scanned."""
    row = client.store.read("version_scan", name=name, version=int(version))
    if row is None:
        return None
    return ScanReport.from_dict(json.loads(client.store.read_blob(row["report_sha256"])))


def fluent_scan_reports(run_id: str | None = None, name: str | None = None, version: int | None = None,
                        limit: int = 100) -> pd.DataFrame:
    """``mlm.scan_reports``: stored scans, newest first (filter by run, model name and version)."""
    from mlm_jupyter.tracking import fluent

    return scan_reports(fluent.get_client(), run_id=run_id, name=name, version=version, limit=limit)


def fluent_get_scan(scan_id_or_uri: str) -> ScanReport:
    """``mlm.get_scan``: a stored scan by id, or the latest scan of ``models:/NAME/VERSION``."""
    from mlm_jupyter.tracking import fluent

    client = fluent.get_client()
    if str(scan_id_or_uri).startswith("models:/"):
        parsed = parse_model_uri(scan_id_or_uri)
        mv = client.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
        found = version_scan(client, mv.name, mv.version)
        if found is None:
            raise NotFoundError(f"{mv.uri} was never scanned; run mlm.scan({mv.uri!r}, X_test, y_test)")
        return found
    return get_scan(client, str(scan_id_or_uri))

