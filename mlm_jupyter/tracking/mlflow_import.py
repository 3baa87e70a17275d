"""``mlm import --from URI``: read an MLflow tracking store (directory, ``sqlite:///``, server) into this store.

Runs keep their ids (or the ``mlm.run_id`` an earlier ``mlm export`` wrote),
names, times, status, user, source and parent; params, tags and every metric
point are written in batched store writes (many runs per transaction, one
Arrow table of metric points per batch). Artifacts are copied and stored by
sha256. Registered models, versions (in order), tags, descriptions and
aliases follow; a version whose files are an mlm model package is registered
as is. A version in MLflow's own format (a pickle) is converted only with
``trust_pickle=True``, since loading it runs code from the file; otherwise it
is listed in the report. Importing twice skips the runs already there.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from mlm_jupyter.core.errors import MlmError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.tracking.mlflow_export import TransferReport, mlflow_client

__all__ = ["import_from_mlflow"]

_RUNS_PER_BATCH = 5_000
# MLflow's system tags that become run fields here (mlflow.note.content and user tags stay tags)
_SYSTEM_TAGS = {"mlflow.runName", "mlflow.user", "mlflow.source.name", "mlflow.parentRunId", "mlflow.source.type",
                "mlflow.log-model.history", "mlflow.source.git.commit", "mlm.run_id", "mlm.status"}


def _pages(search: Any, *args: Any, size: int = 1000, **kwargs: Any) -> list[Any]:
    """Every item of a paged MLflow search (pages of ``size``, MLflow's usual cap)."""
    found: list[Any] = []
    token = None
    while True:
        page = search(*args, max_results=size, page_token=token, **kwargs)
        found += list(page)
        token = getattr(page, "token", None)
        if not token:
            return found


def _all_runs(source: Any, experiment_id: str) -> list[Any]:
    return _pages(source.search_runs, [experiment_id], size=50_000)


def _run_ops(run: Any, experiment: str, run_id: str, parent: str | None) -> list[Op]:
    from mlm_jupyter.core.validation import param_text

    info, tags = run.info, dict(run.data.tags)
    ops = [Op("create_run", {
        "run_id": run_id, "experiment": experiment, "name": info.run_name or tags.get("mlflow.runName") or run_id[:8],
        "start_time": (info.start_time or 0) / 1000.0, "user": tags.get("mlflow.user") or info.user_id or None,
        "parent_run_id": parent, "source": tags.get("mlflow.source.name"), "owner": "import"})]
    kept = {k: param_text(v, k, "tag") for k, v in tags.items() if k not in _SYSTEM_TAGS}
    if kept:
        ops.append(Op("set_tags", {"run_id": run_id, "tags": kept}))
    if run.data.params:
        ops.append(Op("log_params", {"run_id": run_id, "params": {k: str(v) for k, v in run.data.params.items()}}))
    status = str(info.status).lower()
    if status in ("finished", "failed", "killed"):
        ops.append(Op("end_run", {"run_id": run_id, "status": status,
                                  "end_time": (info.end_time or info.start_time or 0) / 1000.0,
                                  "reason": tags.get("mlm.status_reason")}))
    return ops


def _sqlite_histories(uri: str) -> dict[tuple[str, str], list[tuple[int, float, int]]] | None:
    """Every metric point of an MLflow SQLite store in one read-only query (its ``metrics`` table has had this
    shape since MLflow 1.x); ``None`` for other stores or another schema, which then go through the API, one
    request per run and key (slower by two orders of magnitude)."""
    import sqlite3

    if not uri.startswith("sqlite:///"):
        return None
    path = uri[len("sqlite:///"):]
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT run_uuid, key, step, value, timestamp, is_nan FROM metrics").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    histories: dict[tuple[str, str], list[tuple[int, float, int]]] = {}
    for run_uuid, key, step, value, timestamp, is_nan in rows:
        histories.setdefault((run_uuid, key), []).append(
            (int(step), float("nan") if is_nan else float(value), int(timestamp)))
    for points in histories.values():
        points.sort(key=lambda p: (p[0], p[2]))
    return histories


def _metric_points(source: Any, run: Any, run_id: str, columns: dict[str, list[Any]],
                   histories: dict[tuple[str, str], list[tuple[int, float, int]]] | None) -> int:
    count = 0
    for key in run.data.metrics:
        if histories is not None:
            points = histories.get((run.info.run_id, key), [])
        else:
            points = [(int(m.step), float(m.value), int(m.timestamp))
                      for m in source.get_metric_history(run.info.run_id, key)]
        for step, value, timestamp in points:
            columns["run_id"].append(run_id)
            columns["key"].append(key)
            columns["step"].append(step)
            columns["value"].append(value)
            columns["time"].append(timestamp / 1000.0)
            count += 1
    return count


def _write(client: Any, ops: list[Op], columns: dict[str, list[Any]]) -> None:
    import pyarrow as pa

    from mlm_jupyter.store.domains.run_import import fold

    if columns["run_id"]:
        ops = [*ops, Op("log_metrics", {"points": pa.table(columns)})]
    if ops:
        # the batch's runs (created, tagged, given params and points, ended) become one bulk import_runs op:
        # a handful of set-wise statements per batch instead of several statements per run
        client.store.write(WriteBatch(tuple(fold(ops))))


def _local_artifact_dir(run: Any) -> Path | None:
    """The run's artifact folder when it is on this filesystem (asking MLflow costs a query per run)."""
    from urllib.parse import unquote, urlparse

    location = str(getattr(run.info, "artifact_uri", "") or "")
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file"):
        return None
    return Path(unquote(parsed.path) if parsed.scheme else location)


def _copy_artifacts(source: Any, client: Any, run: Any, run_id: str) -> int:
    local_dir = _local_artifact_dir(run)
    if local_dir is not None:
        if not local_dir.is_dir() or not any(local_dir.iterdir()):
            return 0
        return len(client.log_artifact(run_id, local_dir))  # symlinks out of the folder are refused there
    if not source.list_artifacts(run.info.run_id):
        return 0
    with tempfile.TemporaryDirectory(prefix="mlm-import-") as folder:
        local = source.download_artifacts(run.info.run_id, "", folder)
        return len(client.log_artifact(run_id, local))


def _import_runs(source: Any, client: Any, report: TransferReport, uri: str) -> None:
    known = {e.name for e in client.experiments()}
    existing = set(client.store.sql("SELECT id FROM runs").column("id").to_pylist())
    pending: list[tuple[Any, str]] = []
    for experiment in source.search_experiments():
        runs = sorted(_all_runs(source, experiment.experiment_id), key=lambda r: r.info.start_time or 0)
        if experiment.name not in known:
            client.create_experiment(experiment.name)
        report.experiments += 1
        for run in runs:
            run_id = run.data.tags.get("mlm.run_id") or run.info.run_id
            report.run_ids[run.info.run_id] = run_id
            if run_id in existing:
                report.skipped_runs += 1
                continue
            pending.append((run, experiment.name))
    histories = _sqlite_histories(uri) if pending else None
    from mlm_jupyter.core.progress import progress

    with progress(len(pending), f"importing runs from {uri}", unit="run") as bar:
        for start in range(0, len(pending), _RUNS_PER_BATCH):
            ops: list[Op] = []
            columns: dict[str, list[Any]] = {"run_id": [], "key": [], "step": [], "value": [], "time": []}
            for run, experiment in pending[start:start + _RUNS_PER_BATCH]:
                run_id = report.run_ids[run.info.run_id]
                parent = run.data.tags.get("mlflow.parentRunId")
                ops += _run_ops(run, experiment, run_id, report.run_ids.get(parent, parent) if parent else None)
                report.metric_points += _metric_points(source, run, run_id, columns, histories)
                report.params += len(run.data.params)
                report.tags += sum(1 for k in run.data.tags if k not in _SYSTEM_TAGS)
                report.runs += 1
            _write(client, ops, columns)
            bar.update(min(_RUNS_PER_BATCH, len(pending) - start))
    for run, _ in pending:
        report.artifacts += _copy_artifacts(source, client, run, report.run_ids[run.info.run_id])


def _register(source: Any, client: Any, model_name: str, version: Any, report: TransferReport,
              trust_pickle: bool) -> int | None:
    """Register one MLflow version here; returns our version number, or ``None`` when it cannot be."""
    run_id = report.run_ids.get(version.run_id or "")
    folder = str(version.source or "").partition("runs:/")[2].partition("/")[2].strip("/")
    if run_id and folder:
        artifacts = {a.path for a in client.get_run(run_id).artifacts}
        if f"{folder}/MLmodel.json" in artifacts:
            return int(client.register_model(f"runs:/{run_id}/{folder}", model_name,
                                             description=version.description or None).version)
    if not trust_pickle:
        report.not_carried.append(
            f"model {model_name} version {version.version}: an MLflow-format model; loading it to convert it runs "
            "code from the file, so it was left out (mlm import --trust-pickle converts it)")
        return None
    import mlflow.artifacts
    import mlflow.pyfunc

    location = source.get_model_version_download_uri(model_name, version.version)
    with tempfile.TemporaryDirectory(prefix="mlm-import-model-") as folder:
        local = mlflow.artifacts.download_artifacts(artifact_uri=location, dst_path=folder,
                                                    tracking_uri=source.tracking_uri)
        loaded = mlflow.pyfunc.load_model(local)
    model = loaded.get_raw_model() if hasattr(loaded, "get_raw_model") else loaded
    target_run = run_id
    if target_run is None:
        target_run = client.create_run("Default", f"import-{model_name}-{version.version}").id
        client.end_run(target_run)
    created = client.log_model(target_run, model, model_name, artifact_path=folder or None,
                               description=version.description or None)
    return int(created.version)


def _import_registry(source: Any, client: Any, report: TransferReport, trust_pickle: bool) -> None:
    have = {m.name for m in client.models()}
    for model in _pages(source.search_registered_models):
        if model.name in have:
            report.not_carried.append(f"model {model.name} exists here already: its MLflow versions were not added")
            continue
        versions = sorted(_pages(source.search_model_versions, f"name = '{model.name}'"), key=lambda v: int(v.version))
        numbers: dict[str, int] = {}
        for version in versions:
            try:
                number = _register(source, client, model.name, version, report, trust_pickle)
            except MlmError as error:
                report.not_carried.append(f"model {model.name} version {version.version}: {error}")
                continue
            if number is None:
                continue
            numbers[str(version.version)] = number
            report.versions += 1
            for key, value in (version.tags or {}).items():
                if not key.startswith("mlm."):
                    client.set_model_tag(model.name, key, value, number)
            if (version.tags or {}).get("mlm.status") == "archived":
                client.archive_model_version(model.name, number, reason="archived before the MLflow export")
            if number != int(version.version):
                report.not_carried.append(f"model {model.name}: MLflow version {version.version} is version "
                                          f"{number} here")
        if not numbers:
            continue
        report.models += 1
        if model.description:
            client.set_model_description(model.name, model.description)
        for key, value in (model.tags or {}).items():
            if key == "mlm.history":
                continue
            client.set_model_tag(model.name, key, value)
        if "mlm.history" in (model.tags or {}):
            report.not_carried.append(f"model {model.name}: its earlier audit trail is in tag mlm.history of the "
                                      f"MLflow store ({len(json.loads(model.tags['mlm.history']))} events); this "
                                      "store's history starts with the import")
        for alias, mlflow_version in (model.aliases or {}).items():
            if str(mlflow_version) in numbers:
                client.set_alias(model.name, alias.lower(), numbers[str(mlflow_version)],
                                 reason="imported from MLflow", force=True)
                report.aliases += 1
        for version in versions:
            stage = str(getattr(version, "current_stage", "None") or "None").lower()
            if stage in ("production", "staging") and stage not in (model.aliases or {}) and \
                    str(version.version) in numbers:
                client.set_alias(model.name, stage, numbers[str(version.version)],
                                 reason=f"MLflow stage {version.current_stage}", force=True)
                report.aliases += 1


def import_from_mlflow(client: Any, uri: str, *, trust_pickle: bool = False) -> TransferReport:
    """Read the MLflow store at ``uri`` into ``client``'s store (an ``MlmClient``)."""
    source = mlflow_client(uri)
    report = TransferReport()
    _import_runs(source, client, report, uri)
    _import_registry(source, client, report, trust_pickle)
    return report
