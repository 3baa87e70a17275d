"""``mlm export --format mlflow --to URI``: write this store's runs and registry into an MLflow tracking store.

The target is whatever ``mlflow.MlflowClient`` opens: a directory (MLflow's
file store), ``sqlite:///...``, or an MLflow server's URL. Experiments, runs
(ids kept as tag ``mlm.run_id``, times, status, user, source, parent), params,
full metric histories, tags, artifacts (model folders included), registered
models, versions (in order, so the numbers match), their tags and
descriptions, and aliases are written. What MLflow has no place for is kept
as ``mlm.*`` tags (cell records, data fingerprints, provenance, staleness) or
listed in the report (the registry's audit trail, promotion rules, model
loads). MLflow itself is imported only here, when an export runs.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlm_jupyter.core.entities import Run
from mlm_jupyter.core.errors import InvalidInputError

__all__ = ["MLFLOW_TAG_LIMIT", "TransferReport", "export_to_mlflow", "mlflow_client"]

MLFLOW_TAG_LIMIT = 5000  # characters MLflow's stores take in a tag value (its smallest limit across versions)
MLFLOW_PARAM_LIMIT = 6000  # characters of a param value
_MLFLOW_KEY = re.compile(r"^[\w\-. /]{1,250}$")  # MLflow's key rule: no ':' (mlm allows it)
_BATCH = 1000  # metrics per log_batch call (MLflow's limit)


@dataclass
class TransferReport:
    """What an export or import wrote, and what it could not carry (``not_carried``, one line each)."""

    experiments: int = 0
    runs: int = 0
    params: int = 0
    metric_points: int = 0
    tags: int = 0
    artifacts: int = 0
    models: int = 0
    versions: int = 0
    aliases: int = 0
    skipped_runs: int = 0
    not_carried: list[str] = field(default_factory=list)
    run_ids: dict[str, str] = field(default_factory=dict)  # source run id -> target run id

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "run_ids"}


def mlflow_client(uri: str) -> Any:
    """An ``MlflowClient`` on ``uri``; a plain directory is MLflow's file store."""
    try:
        from mlflow import MlflowClient
    except ImportError:
        raise InvalidInputError("exporting to or importing from MLflow needs MLflow: pip install mlflow") from None
    if "://" not in uri and not uri.startswith(("databricks", "sqlite:")):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # the user asked for a directory store
        uri = Path(uri).expanduser().resolve().as_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(round(moment.timestamp() * 1000))


def _clip(text: str, report: TransferReport, what: str) -> str:
    if len(text) <= MLFLOW_TAG_LIMIT:
        return text
    report.not_carried.append(f"{what}: {len(text):,} characters, cut to {MLFLOW_TAG_LIMIT:,} (MLflow's tag limit)")
    return text[:MLFLOW_TAG_LIMIT]


def _representable(items: dict[str, Any], run: Run, what: str, limit: int, report: TransferReport) -> dict[str, Any]:
    """The items MLflow can take: keys by its rule, values clipped to its limit (each loss reported)."""
    kept = {}
    for key, value in items.items():
        if not _MLFLOW_KEY.match(key):
            report.not_carried.append(f"run {run.id}: {what} {key!r} (MLflow keys take no ':' and at most 250 "
                                      "characters)")
            continue
        if isinstance(value, str) and len(value) > limit:
            report.not_carried.append(f"run {run.id}: {what} {key!r} cut from {len(value):,} to {limit:,} "
                                      "characters (MLflow's limit)")
            value = value[:limit]
        kept[key] = value
    return kept


def _extra_tags(run: Run, report: TransferReport) -> dict[str, str]:
    """What MLflow has no field for, as ``mlm.*`` tags."""
    tags = {"mlm.run_id": run.id, "mlm.status": run.status}
    if run.status_reason:
        tags["mlm.status_reason"] = _clip(run.status_reason, report, f"run {run.id} status reason")
    for key, value in (run.provenance or {}).items():
        tags[f"mlm.provenance.{key}"] = _clip(value if isinstance(value, str) else json.dumps(value, default=str),
                                              report, f"run {run.id} provenance {key}")
    if run.cell:
        cell = {k: v for k, v in run.cell.items() if k != "source"}
        tags["mlm.cell"] = _clip(json.dumps(cell, default=str), report, f"run {run.id} cell record")
        if run.cell.get("source"):
            tags["mlm.cell.source"] = _clip(str(run.cell["source"]), report, f"run {run.id} cell source")
    inputs = [{"name": i.name, "role": i.role, "direction": direction,
               "digest": getattr(i.fingerprint, "digest", None), "kind": getattr(i.fingerprint, "kind", None)}
              for direction, items in (("input", run.inputs), ("output", run.outputs)) for i in items]
    if inputs:
        tags["mlm.inputs"] = _clip(json.dumps(inputs, default=str), report, f"run {run.id} data fingerprints")
    if run.staleness:
        tags["mlm.staleness"] = _clip(json.dumps(list(run.staleness)), report, f"run {run.id} staleness")
    if run.previous_run_id:
        tags["mlm.previous_run_id"] = run.previous_run_id
    return tags


def _export_run(source: Any, target: Any, run: Run, experiment_id: str, report: TransferReport) -> str:
    from mlflow.entities import Metric, Param

    tags = _representable(dict(run.tags), run, "tag", MLFLOW_TAG_LIMIT, report)
    tags.update(_extra_tags(run, report))
    if run.user:
        tags["mlflow.user"] = run.user
    if run.source:
        tags["mlflow.source.name"] = run.source
    if run.parent_run_id and run.parent_run_id in report.run_ids:
        tags["mlflow.parentRunId"] = report.run_ids[run.parent_run_id]
    created = target.create_run(experiment_id, start_time=_ms(run.start_time), tags=tags, run_name=run.name)
    new_id = str(created.info.run_id)
    report.run_ids[run.id] = new_id
    params = [Param(k, v) for k, v in
              _representable(dict(run.params), run, "param", MLFLOW_PARAM_LIMIT, report).items()]
    for start in range(0, len(params), 100):
        target.log_batch(new_id, params=params[start:start + 100])
    points: list[Any] = []
    for key in _representable(dict(run.metrics), run, "metric", MLFLOW_TAG_LIMIT, report):
        table = source.store.read("metric_history", run_id=run.id, key=key)
        for step, value, moment in zip(table.column("step").to_pylist(), table.column("value").to_pylist(),
                                       table.column("time").to_pylist()):
            points.append(Metric(key, float(value), int(round(moment * 1000)), int(step)))
    for start in range(0, len(points), _BATCH):
        target.log_batch(new_id, metrics=points[start:start + _BATCH])
    if run.artifacts:
        with tempfile.TemporaryDirectory(prefix="mlm-export-") as folder:
            for artifact in run.artifacts:
                path = Path(folder, *artifact.path.split("/"))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(source.store.read_blob(artifact.sha256))  # verified by sha256
            target.log_artifacts(new_id, folder)
    if run.status != "running":
        target.set_terminated(new_id, run.status.upper(), end_time=_ms(run.end_time))
    report.runs += 1
    report.params += len(params)
    report.metric_points += len(points)
    report.tags += len(run.tags)
    report.artifacts += len(run.artifacts)
    return new_id


def _export_registry(source: Any, target: Any, report: TransferReport) -> None:
    for model in source.models():
        model_tags = dict(source.model_tags(model.name))
        events = source.model_events(model.name)
        history = json.dumps([{"time": e.time.isoformat() if e.time else None, "user": e.user, "action": e.action,
                               "version": e.version, "alias": e.alias, "from": e.from_value, "to": e.to_value,
                               "reason": e.reason, "forced": e.forced} for e in events])
        if len(history) <= MLFLOW_TAG_LIMIT:
            model_tags["mlm.history"] = history
        else:
            report.not_carried.append(f"model {model.name}: its audit trail ({len(events)} events) is longer than "
                                      "an MLflow tag; `mlm models history` keeps it")
        rules = source.promotion_rules(model.name)
        if rules:
            report.not_carried.append(f"model {model.name}: {len(rules)} promotion rule(s) (MLflow has none)")
        if target.search_registered_models(filter_string=f"name = '{model.name}'"):
            report.not_carried.append(f"model {model.name} exists in the target already: its versions were not "
                                      "written again")
            continue
        target.create_registered_model(model.name, tags=model_tags, description=model.description or None)
        report.models += 1
        for version in source.model_versions(model.name):
            run_id = report.run_ids.get(version.run_id or "")
            folder = (version.source or "").partition("runs:/")[2].partition("/")[2]
            uri = f"runs:/{run_id}/{folder}" if run_id and folder else f"mlm-model:/{model.name}/{version.version}"
            tags = {**source.model_tags(model.name, version.version), "mlm.sha256": version.sha256,
                    "mlm.flavor": version.flavor, "mlm.status": version.status}
            created = target.create_model_version(model.name, uri, run_id=run_id, tags=tags,
                                                  description=version.description or None)
            if int(created.version) != version.version:
                report.not_carried.append(f"model {model.name}: version {version.version} became "
                                          f"{created.version} in MLflow")
            report.versions += 1
        for alias, number in model.aliases.items():
            target.set_registered_model_alias(model.name, alias, str(number))
            report.aliases += 1
    loads = source.store.sql("SELECT count(*) AS n FROM model_loads").column("n").to_pylist()[0]
    if loads:
        report.not_carried.append(f"{loads} recorded model loads (who loaded which version; `mlm sql` reads them)")


def export_to_mlflow(source: Any, uri: str, *, experiments: list[str] | None = None) -> TransferReport:
    """Write the runs (of ``experiments``, or all) and the registry of ``source`` (an ``MlmClient``) to ``uri``."""
    target = mlflow_client(uri)
    report = TransferReport()
    source.flush()
    ids: dict[str, str] = {}
    for experiment in source.experiments():
        if experiments and experiment.name not in experiments:
            continue
        existing = target.get_experiment_by_name(experiment.name)
        ids[experiment.name] = existing.experiment_id if existing is not None else target.create_experiment(
            experiment.name, tags={"mlm.experiment_id": experiment.id})
        report.experiments += 1
    run_ids: list[str] = []
    for name in ids:
        run_ids += list(source.search_runs(None, name, max_results=10**9)["run_id"])
    runs = sorted((source.get_run(run_id) for run_id in run_ids), key=lambda r: (r.start_time, r.id))
    from mlm_jupyter.core.progress import progress

    with progress(len(runs), f"exporting runs to {uri}", unit="run") as bar:
        for run in runs:  # parents start before their children, so the parent's new id is known
            _export_run(source, target, run, ids[run.experiment], report)
            bar.update(1)
    cells = sum(1 for r in runs if r.cell)
    if cells:
        report.not_carried.append(f"{cells} run(s) made by notebook cells: the cell records are tags mlm.cell and "
                                  "mlm.cell.source (MLflow has no cell records)")
    if any(r.inputs or r.outputs for r in runs):
        report.not_carried.append("data fingerprints and profiles: digests are in tag mlm.inputs; profiles and "
                                  "row sketches stay in mlm")
    _export_registry(source, target, report)
    return report
