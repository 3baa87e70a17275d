"""MLflow's ``search_runs``: experiments by id, the active experiment by default, MLflow's columns."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.mlflow._session import active_experiment_name, client, experiment_name_of

__all__ = ["mlflow_frame", "search_runs", "searched_experiments"]


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(value)] if isinstance(value, (str, int)) else [str(v) for v in value]


def searched_experiments(experiment_ids: Any, experiment_names: Any, search_all: bool) -> list[str] | None:
    """Experiment names to search: those given, else every one (``search_all``), else the active one."""
    names = [experiment_name_of(i) for i in _listed(experiment_ids)] + _listed(experiment_names)
    if names:
        return names
    if search_all:
        return None
    return [active_experiment_name() or "Default"]


def mlflow_frame(frame: Any) -> Any:
    """Our search frame with MLflow's columns: experiment_id, upper-case status, artifact_uri, system tags."""
    import pandas as pd

    ids = {e.name: e.id for e in client().experiments()}
    out = pd.DataFrame({
        "run_id": frame["run_id"],
        "experiment_id": frame["experiment"].map(ids),
        "status": frame["status"].str.upper(),
        "artifact_uri": "runs:/" + frame["run_id"],
        "start_time": frame["start_time"],
        "end_time": frame["end_time"],
    })
    extra = [c for c in frame.columns if c.startswith(("metrics.", "params.", "tags."))]
    out = pd.concat([out, frame[extra]], axis=1)
    if "tags.mlflow.runName" not in out.columns:
        out["tags.mlflow.runName"] = frame["name"]
    if "user" in frame.columns and "tags.mlflow.user" not in out.columns:
        out["tags.mlflow.user"] = frame["user"]
    out.attrs.update(frame.attrs)
    return out


def search_runs(experiment_ids: Any, filter_string: str | None, max_results: int, order_by: Any,
                output_format: str, search_all: bool, experiment_names: Any) -> Any:
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format is 'pandas' or 'list', not {output_format!r}")
    experiments = searched_experiments(experiment_ids, experiment_names, search_all)
    frame = client().search_runs(filter_string or None, experiments, order_by, max_results)
    if output_format == "list":
        from mlm_jupyter.mlflow import get_run

        return [get_run(run_id) for run_id in frame["run_id"]]
    return mlflow_frame(frame)
