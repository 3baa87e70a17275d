"""``MlflowClient``: MLflow's explicit tracking and registry client, translated to ``MlmClient`` calls."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.mlflow._no_equivalent import no_equivalent
from mlm_jupyter.mlflow._session import client as _default_client
from mlm_jupyter.mlflow._session import experiment_id_of, experiment_name_of
from mlm_jupyter.mlflow.entities import (
    Experiment,
    FileInfo,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
)
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["MlflowClient", "model_uri"]

_STAGE_ALIASES = {"production": "production", "staging": "staging"}


def model_uri(uri: str) -> str:
    """MLflow model URIs mlm reads differently: ``models:/name/latest`` and ``models:/name/Production``."""
    if uri.startswith("models:/") and "@" not in uri:
        name, _, last = uri[len("models:/"):].rstrip("/").rpartition("/")
        if name and not last.isdigit():
            return f"models:/{name}@{'latest' if last.lower() == 'latest' else last.lower()}"
    return uri


class MlflowClient:
    """MLflow's client over one mlm store (``tracking_uri``: a store directory or a server URL)."""

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self._own: MlmClient | None = None
        if tracking_uri:
            from mlm_jupyter.mlflow import _session

            if tracking_uri.startswith(("http://", "https://")):
                from mlm_jupyter.store.remote import open_remote_store

                self._own = MlmClient(open_remote_store(tracking_uri, os.environ.get("MLM_TOKEN")))
            elif tracking_uri.startswith(("sqlite:", "databricks", "postgresql:", "mysql:")):
                _session.set_tracking_uri(tracking_uri)  # raises NoEquivalentError naming `mlm import`
            else:
                self._own = MlmClient(tracking_uri.removeprefix("file://"))

    @property
    def _mlm(self) -> MlmClient:
        return self._own if self._own is not None else _default_client()

    # ------------------------------------------------------------ experiments

    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: Mapping[str, Any] | None = None) -> str:
        from mlm_jupyter.mlflow import create_experiment

        if self._own is None:
            return create_experiment(name, artifact_location, tags)
        return self._mlm.create_experiment(name)

    def get_experiment(self, experiment_id: str) -> Experiment:
        name = experiment_name_of(str(experiment_id))
        found = self._mlm.get_experiment_by_name(name)
        if found is None:
            raise NotFoundError(f"no experiment with id {experiment_id!r}")
        return Experiment.from_mlm(found)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = self._mlm.get_experiment_by_name(name)
        return None if found is None else Experiment.from_mlm(found)

    def search_experiments(self, *args: Any, **kwargs: Any) -> list[Experiment]:
        from mlm_jupyter.mlflow import search_experiments

        return search_experiments(*args, **kwargs)

    # ------------------------------------------------------------ runs

    def create_run(self, experiment_id: str, start_time: int | None = None, tags: Mapping[str, Any] | None = None,
                   run_name: str | None = None) -> Run:
        tags = dict(tags or {})
        run_name = run_name or tags.pop("mlflow.runName", None)
        parent = tags.get("mlflow.parentRunId")
        native = self._mlm.create_run(experiment_name_of(str(experiment_id)), run_name, tags=tags or None,
                                      parent_run_id=parent)
        return self.get_run(native.id)

    def get_run(self, run_id: str) -> Run:
        native = self._mlm.get_run(run_id)
        return Run.from_mlm(native, experiment_id_of(native.experiment))

    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self._mlm.log_param(run_id, key, value)
        return value

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None,
                   synchronous: bool | None = None, **_: Any) -> None:
        self._mlm.log_metric(run_id, key, value, 0 if step is None else step, timestamp)

    def log_batch(self, run_id: str, metrics: Sequence[Any] = (), params: Sequence[Any] = (),
                  tags: Sequence[Any] = (), synchronous: bool | None = None) -> None:
        fixed = [m if getattr(m, "step", None) is not None else Metric(m.key, m.value, m.timestamp, 0)
                 for m in metrics] if not isinstance(metrics, Mapping) else metrics
        self._mlm.log_batch(run_id, fixed, params, tags)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        if key == "mlflow.runName":
            self._mlm.rename_run(run_id, str(value))
        self._mlm.set_tag(run_id, key, value)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._mlm.delete_tag(run_id, key)

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        if name is not None:
            self._mlm.rename_run(run_id, name)
        if status is not None:
            self.set_terminated(run_id, status)

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> None:
        self._mlm.end_run(run_id, status or "FINISHED")

    def delete_run(self, run_id: str) -> None:
        no_equivalent("MlflowClient.delete_run", "runs are kept for the audit trail; tag it "
                      "(client.set_tag(run_id, 'deleted', 'true')) and filter with \"tags.deleted != 'true'\"")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        frame = self._mlm.get_metric_history(run_id, key)
        return [Metric(key, float(v), int(t.timestamp() * 1000), int(s))
                for s, v, t in zip(frame["step"], frame["value"], frame["time"])]

    def search_runs(self, experiment_ids: Any, filter_string: str = "", run_view_type: int = 1,
                    max_results: int = 1000, order_by: Any = None, page_token: str | None = None) -> list[Run]:
        from mlm_jupyter.mlflow._search import searched_experiments

        experiments = searched_experiments(experiment_ids, None, search_all=False)
        frame = self._mlm.search_runs(filter_string or None, experiments, order_by, max_results)
        return [self.get_run(run_id) for run_id in frame["run_id"]]

    # ------------------------------------------------------------ artifacts

    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        self._mlm.log_artifact(run_id, local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self._mlm.log_artifact(run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self._mlm.log_text(run_id, text, artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        self._mlm.log_text(run_id, json.dumps(dictionary, indent=2), artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """Files and folders directly under ``path`` (the run's root when ``None``)."""
        prefix = (path or "").strip("/")
        prefix = f"{prefix}/" if prefix else ""
        seen: dict[str, FileInfo] = {}
        for artifact in self._mlm.get_run(run_id).artifacts:
            if not artifact.path.startswith(prefix):
                continue
            head, sep, _ = artifact.path[len(prefix):].partition("/")
            entry = prefix + head
            seen[entry] = FileInfo(entry, True, None) if sep else FileInfo(entry, False, artifact.size)
        return sorted(seen.values(), key=lambda f: f.path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Copy an artifact (file or folder) out of the store, each file verified by sha256; returns the local path."""
        import tempfile

        target_root = Path(dst_path or tempfile.mkdtemp(prefix="mlm-artifacts-"))
        wanted = path.strip("/")
        found = False
        for artifact in self._mlm.get_run(run_id).artifacts:
            if wanted and artifact.path != wanted and not artifact.path.startswith(wanted + "/"):
                continue
            found = True
            relative = artifact.path if not wanted or "/" not in wanted else \
                artifact.path[len(wanted.rpartition("/")[0]) + 1:]
            target = target_root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self._mlm.store.read_blob(artifact.sha256))
        if not found:
            raise NotFoundError(f"run {run_id} has no artifact {path!r}; client.list_artifacts(run_id) lists them")
        return str(target_root / wanted.rpartition("/")[2]) if wanted else str(target_root)

    # ------------------------------------------------------------ registry

    def _version(self, name: str, version: int | str) -> ModelVersion:
        native = self._mlm.get_model_version(name, int(version))
        return ModelVersion.from_mlm(native, self._mlm.model_tags(name, native.version))

    def create_registered_model(self, name: str, tags: Mapping[str, Any] | None = None,
                                description: str | None = None, **_: Any) -> RegisteredModel:
        self._mlm.create_registered_model(name, description=description)
        for key, value in (tags or {}).items():
            self._mlm.set_model_tag(name, key, value)
        return self.get_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        model = self._mlm.get_model(name)
        latest = [self._version(name, model.latest_version)] if model.latest_version else []
        return RegisteredModel.from_mlm(model, latest, self._mlm.model_tags(name))

    def search_registered_models(self, filter_string: str | None = None, max_results: int = 100,
                                 order_by: Any = None, page_token: str | None = None) -> list[RegisteredModel]:
        names = [m.name for m in self._mlm.models()]
        if filter_string:
            names = [n for n in names if _matches_name(filter_string, n)]
        return [self.get_registered_model(n) for n in names[:max_results]]

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        if description is not None:
            self._mlm.set_model_description(name, description)
        return self.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> None:
        no_equivalent("rename_registered_model", "register the versions under the new name with "
                      "mlm.register_model('models:/OLD/N', 'NEW'); the old name keeps its audit trail")

    def delete_registered_model(self, name: str) -> None:
        no_equivalent("delete_registered_model", "archive its versions with mlm.archive_model_version(name, v); "
                      "the registry keeps every version for its audit trail")

    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: Mapping[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, await_creation_for: int = 300,
                             **_: Any) -> ModelVersion:
        uri = model_uri(str(source))
        if run_id and not uri.startswith(("runs:/", "models:/")):
            uri = f"runs:/{run_id}/{uri.strip('/')}"  # MLflow passes the artifact folder with the run id
        native = self._mlm.register_model(uri, name, description=description)
        for key, value in (tags or {}).items():
            self._mlm.set_model_tag(name, key, value, native.version)
        return self._version(name, native.version)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        return self._version(name, version)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
        versions = [self._version(name, v.version) for v in self._mlm.model_versions(name, include_archived=False)]
        if not stages:
            return versions[-1:]
        return [next(v for v in reversed(versions) if v.current_stage.lower() == s.lower())
                for s in stages if any(v.current_stage.lower() == s.lower() for v in versions)]

    def search_model_versions(self, filter_string: str | None = None, max_results: int = 10_000,
                              order_by: Any = None, page_token: str | None = None) -> list[ModelVersion]:
        """Versions matching ``name = 'x'``, ``name LIKE 'x%'`` and/or ``run_id = '...'`` (joined with AND)."""
        conditions = _conditions(filter_string or "")
        names = [m.name for m in self._mlm.models()]
        found = []
        for name in names:
            if "name" in conditions and not _matches_name(f"name {conditions['name'][0]} '{conditions['name'][1]}'",
                                                          name):
                continue
            for version in self._mlm.model_versions(name):
                if "run_id" in conditions and version.run_id != conditions["run_id"][1]:
                    continue
                found.append(self._version(name, version.version))
        found.sort(key=lambda v: (v.name, -int(v.version)))
        return found[:max_results]

    def update_model_version(self, name: str, version: int | str, description: str | None = None) -> ModelVersion:
        if description is not None:
            self._mlm.set_model_description(name, description, int(version))
        return self._version(name, version)

    def delete_model_version(self, name: str, version: int | str) -> None:
        no_equivalent("delete_model_version", f"mlm.archive_model_version({name!r}, {int(version)}) takes it out "
                      "of @latest and keeps it for the audit trail")

    def transition_model_version_stage(self, name: str, version: int | str, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        """Stages (deprecated in MLflow) map to aliases: Production -> @production, Staging -> @staging."""
        key = stage.lower()
        if key == "archived":
            self._mlm.archive_model_version(name, int(version))
        elif key in _STAGE_ALIASES:
            self._mlm.set_alias(name, _STAGE_ALIASES[key], int(version))
        elif key == "none":
            for alias in self._mlm.get_model_version(name, int(version)).aliases:
                if alias in _STAGE_ALIASES.values():
                    self._mlm.delete_alias(name, alias)
        else:
            raise InvalidInputError(f"stage is None, Staging, Production or Archived, not {stage!r}")
        return self._version(name, version)

    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        self._mlm.set_alias(name, alias, int(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._mlm.delete_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        native = self._mlm.get_model_version(name, alias=alias)
        return self._version(name, native.version)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._mlm.set_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._mlm.delete_model_tag(name, key)

    def set_model_version_tag(self, name: str, version: int | str | None = None, key: str | None = None,
                              value: Any = None, stage: str | None = None) -> None:
        if version is None or key is None:
            raise InvalidInputError("set_model_version_tag(name, version, key, value)")
        self._mlm.set_model_tag(name, key, value, int(version))

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        self._mlm.delete_model_tag(name, key, int(version))

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        return f"models:/{name}/{int(version)}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        no_equivalent(f"MlflowClient.{name}", "see help(mlm_jupyter.mlflow.MlflowClient) for the methods "
                      "translated, and mlm.MlmClient for the native client")


def _conditions(text: str) -> dict[str, tuple[str, str]]:
    import re

    found: dict[str, tuple[str, str]] = {}
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.I) if text.strip() else []:
        match = re.fullmatch(r"\s*(name|run_id)\s*(=|LIKE|ILIKE)\s*'([^']*)'\s*", part, re.I)
        if match is None:
            raise InvalidInputError(f"the filter supports name = 'x', name LIKE 'x%' and run_id = '...' "
                                    f"joined with AND, not {part!r}")
        found[match.group(1).lower()] = (match.group(2).upper(), match.group(3))
    return found


def _matches_name(filter_string: str, name: str) -> bool:
    import fnmatch

    conditions = _conditions(filter_string)
    if "name" not in conditions:
        return True
    op, value = conditions["name"]
    if op == "=":
        return name == value
    pattern = value.replace("%", "*").replace("_", "?")
    if op == "ILIKE":
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return fnmatch.fnmatchcase(name, pattern)

