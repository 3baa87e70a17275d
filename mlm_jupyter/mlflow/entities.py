"""MLflow-shaped entities built from mlm's own: what MLflow code reads off a run, experiment or model version.

Times are epoch milliseconds, statuses upper case, versions strings, as in
MLflow. Each entity is built from the native one and keeps it as ``.mlm``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

__all__ = [
    "Dataset", "DatasetInput", "Experiment", "FileInfo", "InputTag", "LifecycleStage", "Metric", "ModelInfo",
    "ModelVersion", "Param", "RegisteredModel", "Run", "RunData", "RunInfo", "RunInputs", "RunStatus", "RunTag",
    "ViewType", "millis", "run_uri",
]


def millis(moment: datetime | float | None) -> int | None:
    """A datetime (or epoch seconds) as MLflow's epoch milliseconds."""
    if moment is None:
        return None
    seconds = moment.timestamp() if isinstance(moment, datetime) else float(moment)
    return int(round(seconds * 1000))


def run_uri(run_id: str) -> str:
    """A run's artifact root as MLflow code sees it (``runs:/<id>``; ``mlflow.artifacts`` reads it)."""
    return f"runs:/{run_id}"


class RunStatus:
    RUNNING, SCHEDULED, FINISHED, FAILED, KILLED = "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"

    @staticmethod
    def is_terminated(status: str) -> bool:
        return status.upper() in ("FINISHED", "FAILED", "KILLED")


class ViewType:
    ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3


class LifecycleStage:
    ACTIVE, DELETED = "active", "deleted"


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int = 0
    step: int = 0


@dataclass(frozen=True)
class Param:
    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    key: str
    value: str


ExperimentTag = RunTag


@dataclass(frozen=True)
class InputTag:
    key: str
    value: str


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None = None


@dataclass(frozen=True)
class Dataset:
    """MLflow's dataset record on a run (``run.inputs.dataset_inputs[i].dataset``)."""

    name: str
    digest: str
    source_type: str = "mlm"
    source: str = ""
    schema: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class DatasetInput:
    dataset: Dataset
    tags: Sequence[InputTag] = ()


@dataclass(frozen=True)
class RunInputs:
    dataset_inputs: Sequence[DatasetInput] = ()


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True)
class RunData:
    metrics: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """``run.info`` / ``run.data`` / ``run.inputs`` as MLflow has them; ``run.mlm`` is the native run."""

    info: RunInfo
    data: RunData
    inputs: RunInputs
    mlm: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_mlm(cls, run: Any, experiment_id: str) -> Run:
        tags = dict(run.tags)
        tags.setdefault("mlflow.runName", run.name)
        if run.user:
            tags.setdefault("mlflow.user", run.user)
        if run.source:
            tags.setdefault("mlflow.source.name", run.source)
        if run.parent_run_id:
            tags.setdefault("mlflow.parentRunId", run.parent_run_id)
        info = RunInfo(run_id=run.id, experiment_id=experiment_id, run_name=run.name, user_id=run.user or "",
                       status=run.status.upper(), start_time=millis(run.start_time), end_time=millis(run.end_time),
                       artifact_uri=run_uri(run.id))
        inputs = RunInputs(tuple(
            DatasetInput(Dataset(name=i.name, digest=str(getattr(i.fingerprint, "digest", "") or "")[:16]),
                         (InputTag("mlflow.data.context", i.role),))
            for i in run.inputs))
        return cls(info=info, data=RunData(dict(run.metrics), dict(run.params), tags), inputs=inputs, mlm=run)

    def to_dictionary(self) -> dict[str, Any]:
        return {"info": self.info.__dict__ | {"run_uuid": self.info.run_id},
                "data": {"metrics": dict(self.data.metrics), "params": dict(self.data.params),
                         "tags": dict(self.data.tags)}}


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: Mapping[str, str] = field(default_factory=dict)
    creation_time: int | None = None
    last_update_time: int | None = None

    @classmethod
    def from_mlm(cls, experiment: Any) -> Experiment:
        return cls(experiment_id=experiment.id, name=experiment.name,
                   artifact_location=f"mlm-experiment:/{experiment.id}",
                   creation_time=millis(experiment.created_at),
                   last_update_time=millis(experiment.last_run or experiment.created_at))


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    description: str | None
    user_id: str | None
    current_stage: str
    source: str | None
    run_id: str | None
    status: str = "READY"
    status_message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: Sequence[str] = ()
    mlm: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_mlm(cls, version: Any, tags: Mapping[str, str] | None = None) -> ModelVersion:
        created = millis(version.created_at)
        stage = "Archived" if version.status == "archived" else next(
            (s.capitalize() for s in ("production", "staging") if s in version.aliases), "None")
        return cls(name=version.name, version=str(version.version), creation_timestamp=created,
                   last_updated_timestamp=created, description=version.description or "",
                   user_id=version.created_by, current_stage=stage, source=version.source, run_id=version.run_id,
                   tags=dict(tags or {}), aliases=list(version.aliases), mlm=version)


@dataclass(frozen=True)
class RegisteredModel:
    name: str
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    description: str | None
    latest_versions: Sequence[ModelVersion] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_mlm(cls, model: Any, latest: Sequence[ModelVersion] = (),
                 tags: Mapping[str, str] | None = None) -> RegisteredModel:
        return cls(name=model.name, creation_timestamp=millis(model.created_at),
                   last_updated_timestamp=millis(model.updated_at), description=model.description or "",
                   latest_versions=list(latest), tags=dict(tags or {}),
                   aliases={alias: str(v) for alias, v in model.aliases.items()})


@dataclass(frozen=True)
class ModelInfo:
    """What ``mlflow.<flavor>.log_model`` returns."""

    artifact_path: str
    model_uri: str
    run_id: str
    flavors: Mapping[str, Any] = field(default_factory=dict)
    signature: Any = None
    registered_model_version: int | None = None
    name: str | None = None

    @property
    def model_id(self) -> str:
        """MLflow 3's logged-model id; here the model's run URI, which ``load_model`` takes."""
        return self.model_uri
