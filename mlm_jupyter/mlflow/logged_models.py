"""MLflow 3's logged-model calls (``get_logged_model``, ``search_logged_models``, ``last_logged_model``).

MLflow 3 gives every ``log_model`` call a first-class ``LoggedModel`` with an id
(``m-...``). In mlm a logged model is a folder of its run's artifacts holding a
manifest (``MLmodel.json``); its id is the URI ``load_model`` takes,
``runs:/<run_id>/<folder>`` (``ModelInfo.model_id`` returns it). These calls
read that folder, so code written against MLflow 3's examples finds the models
it logged. Metrics and params are the source run's: mlm links metrics to runs,
not to models.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.mlflow._session import active_experiment_name, experiment_id_of, experiment_name_of
from mlm_jupyter.mlflow._session import client as _client
from mlm_jupyter.mlflow.entities import Metric, millis

__all__ = ["LoggedModel", "get_logged_model", "last_logged_model", "search_logged_models"]

MANIFEST = "MLmodel.json"
_last_model_id: str | None = None
_URI = re.compile(r"runs:/(?P<run>[^/]+)/(?P<folder>.+?)/?")
_CLAUSE = re.compile(r"""\s*(?P<key>[A-Za-z_][\w.]*|`[^`]+`)\s*(?P<op>=|!=|<=|>=|<|>|LIKE)\s*
                         (?P<value>'[^']*'|"[^"]*"|[-+]?[0-9.eE+-]+)\s*""", re.X | re.I)


@dataclass(frozen=True)
class LoggedModel:
    """What MLflow 3's ``get_logged_model`` returns, for a model folder of an mlm run."""

    model_id: str
    name: str
    experiment_id: str
    source_run_id: str
    model_uri: str
    artifact_location: str
    creation_timestamp: int | None
    last_updated_timestamp: int | None
    status: str = "READY"
    model_type: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Sequence[Metric] = ()
    flavor: str | None = None

    def to_dictionary(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "name": self.name, "experiment_id": self.experiment_id,
                "source_run_id": self.source_run_id, "model_uri": self.model_uri, "status": self.status,
                "artifact_location": self.artifact_location, "creation_timestamp": self.creation_timestamp,
                "last_updated_timestamp": self.last_updated_timestamp, "tags": dict(self.tags),
                "params": dict(self.params), "flavor": self.flavor,
                "metrics": {m.key: m.value for m in self.metrics}}


def remember(model_id: str) -> None:
    """Called by ``mlflow.<flavor>.log_model``: ``last_logged_model()`` returns this one."""
    global _last_model_id
    _last_model_id = model_id


def get_logged_model(model_id: str) -> LoggedModel:
    """The model logged at ``model_id`` (``runs:/<run_id>/<folder>``, as ``ModelInfo.model_id`` gives it)."""
    match = _URI.fullmatch(str(model_id).strip())
    if match is None:
        raise InvalidInputError(f"{model_id!r} is not an mlm logged-model id: mlm's ids are the model's URI, "
                                "runs:/<run_id>/<folder> (ModelInfo.model_id returns it); MLflow's m-... ids "
                                "belong to the MLflow store they came from (`mlm import --from URI` copies them)")
    run = _client().get_run(match.group("run"))
    found = _models_of(run, only=match.group("folder"))
    if not found:
        raise NotFoundError(f"run {run.id} has no model logged at {match.group('folder')!r}",
                            run_id=run.id, path=match.group("folder"))
    return found[0]


def last_logged_model() -> LoggedModel | None:
    """The model this process logged last through ``mlflow.<flavor>.log_model``, or None."""
    return None if _last_model_id is None else get_logged_model(_last_model_id)


def search_logged_models(experiment_ids: list[str] | None = None, filter_string: str | None = None,
                         datasets: Any = None, max_results: int | None = None,
                         order_by: list[Any] | None = None, output_format: str = "pandas") -> Any:
    """The models logged in ``experiment_ids`` (default: the active experiment, else every one).

    ``filter_string`` takes ``AND``-joined comparisons on ``name``, ``source_run_id``, ``status``,
    ``flavor``, ``params.<key>`` and ``metrics.<key>`` (the source run's). ``order_by`` takes
    ``creation_timestamp`` / ``name`` / ``metrics.<key>`` strings or MLflow's dicts
    (``{"field_name": ..., "ascending": ...}``). ``output_format`` is ``"pandas"`` or ``"list"``.
    """
    if datasets:
        raise InvalidInputError("search_logged_models(datasets=...) is not translated: metrics are the source "
                                "run's in mlm, not per dataset")
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format is 'pandas' or 'list', not {output_format!r}")
    clauses = _parse_filter(filter_string)
    names = _experiment_names(experiment_ids)
    models = [m for m in _models_in(names) if all(_matches(m, clause) for clause in clauses)]
    for key, ascending in reversed(_parse_order(order_by)):
        models.sort(key=functools.partial(_sort_key, key=key), reverse=not ascending)
    if max_results is not None:
        models = models[:max_results]
    if output_format == "list":
        return models
    import pandas as pd

    rows = [m.to_dictionary() for m in models]
    columns = ["model_id", "name", "experiment_id", "source_run_id", "model_uri", "status", "artifact_location",
               "creation_timestamp", "last_updated_timestamp", "tags", "params", "flavor", "metrics"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- reading model folders

def _experiment_names(experiment_ids: Iterable[str] | None) -> list[str] | None:
    if experiment_ids:
        return [experiment_name_of(str(e)) for e in experiment_ids]
    active = active_experiment_name()
    return [active] if active else None


def _models_in(experiments: list[str] | None) -> list[LoggedModel]:
    client = _client()
    frame = client.search_runs(None, experiments, max_results=10**9) if experiments else \
        client.search_runs(None, max_results=10**9)
    found: list[LoggedModel] = []
    ids: dict[str, str] = {}  # experiment name -> id, looked up once per experiment, not once per model
    for run_id in frame["run_id"] if len(frame) else []:
        found += _models_of(client.get_run(str(run_id)), ids=ids)
    found.sort(key=lambda m: (m.creation_timestamp or 0, m.model_id), reverse=True)
    return found


def _models_of(run: Any, only: str | None = None, ids: dict[str, str] | None = None) -> list[LoggedModel]:
    """The model folders of ``run`` (every folder holding a manifest), or only the one at ``only``."""
    ids = {} if ids is None else ids
    suffix = "/" + MANIFEST
    models: list[LoggedModel] = []
    for artifact in run.artifacts:
        if artifact.path == MANIFEST:
            folder = ""
        elif artifact.path.endswith(suffix):
            folder = artifact.path[:-len(suffix)]
        else:
            continue
        if only is not None and folder != only.strip("/"):
            continue
        manifest = _manifest(artifact.sha256)
        uri = f"runs:/{run.id}/{folder}" if folder else f"runs:/{run.id}"
        created = millis(artifact.created_at)
        metrics = [Metric(key, float(value)) for key, value in sorted((run.metrics or {}).items())]
        if run.experiment not in ids:
            ids[run.experiment] = experiment_id_of(run.experiment)
        models.append(LoggedModel(
            model_id=uri, name=folder.rsplit("/", 1)[-1] or "model", experiment_id=ids[run.experiment],
            source_run_id=run.id, model_uri=uri, artifact_location=uri, creation_timestamp=created,
            last_updated_timestamp=created, tags={}, params={k: str(v) for k, v in (run.params or {}).items()},
            metrics=metrics, flavor=manifest.get("flavor")))
    return models


def _manifest(sha256: str) -> dict[str, Any]:
    try:
        loaded = json.loads(_client().store.read_blob(sha256))
    except (ValueError, OSError):
        return {}  # an unreadable manifest still names a model folder; load_model reports the damage
    return loaded if isinstance(loaded, dict) else {}


# ---------------------------------------------------------------- filters and ordering

def _parse_filter(filter_string: str | None) -> list[tuple[str, str, Any]]:
    if not filter_string or not filter_string.strip():
        return []
    clauses = []
    for part in re.split(r"\s+AND\s+", filter_string.strip(), flags=re.I):
        match = _CLAUSE.fullmatch(part)
        if match is None:
            raise InvalidInputError(f"search_logged_models filters with comparisons joined by AND on name, "
                                    f"source_run_id, status, flavor, params.<key> and metrics.<key>; "
                                    f"cannot read {part!r}")
        key = match.group("key").strip("`")
        if not (key in ("name", "source_run_id", "status", "flavor", "model_id")
                or key.startswith(("params.", "metrics."))):
            raise InvalidInputError(f"search_logged_models cannot filter on {key!r}")
        raw = match.group("value")
        try:
            value: Any = raw[1:-1] if raw[0] in "'\"" else float(raw)
        except ValueError:
            raise InvalidInputError(f"search_logged_models cannot read the number {raw!r} in {part!r}") from None
        clauses.append((key, match.group("op").upper(), value))
    return clauses


def _field(model: LoggedModel, key: str) -> Any:
    if key.startswith("metrics."):
        return next((m.value for m in model.metrics if m.key == key[len("metrics."):]), None)
    if key.startswith("params."):
        return model.params.get(key[len("params."):])
    return getattr(model, key, None)


def _matches(model: LoggedModel, clause: tuple[str, str, Any]) -> bool:
    key, op, expected = clause
    actual = _field(model, key)
    if actual is None:
        return False
    if op == "LIKE":
        pattern = re.escape(str(expected)).replace("%", ".*").replace("_", ".")
        return re.fullmatch(pattern, str(actual)) is not None
    if isinstance(expected, float):
        try:
            actual = float(actual)
        except (TypeError, ValueError):
            return False
    else:
        actual = str(actual)
    compare = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge}[op]
    return bool(compare(actual, expected))


def _parse_order(order_by: list[Any] | None) -> list[tuple[str, bool]]:
    parsed = []
    for item in order_by or []:
        if isinstance(item, Mapping):
            parsed.append((str(item.get("field_name")), bool(item.get("ascending", True))))
            continue
        words = str(item).split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise InvalidInputError(f"order_by takes 'field [ASC|DESC]', not {item!r}")
        parsed.append((words[0], len(words) == 1 or words[1].upper() == "ASC"))
    return parsed


def _sort_key(model: LoggedModel, key: str) -> tuple[int, Any]:
    value = _field(model, key)
    return (1, value) if value is not None else (0, 0)  # missing values sort first ascending, last descending
