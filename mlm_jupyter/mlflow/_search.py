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


def mlflow_frame(table: Any) -> Any:
    """Our search table (``search_runs_table``) as MLflow's DataFrame: ``run_id, experiment_id, status``
    (upper case), ``artifact_uri, start_time, end_time``, then ``params.* / metrics.* / tags.*``, with
    the ``mlflow.runName`` and ``mlflow.user`` tags from the run's name and user when not set.

    Shaped in Arrow and converted once: the same steps on a DataFrame took as long as the search.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = client().experiment_ids()
    names = list(ids)
    experiment_ids = pa.array([ids[name] for name in names], pa.large_string()).take(
        pc.index_in(table.column("experiment"), value_set=pa.array(names, pa.large_string())))
    run_ids = table.column("run_id")
    columns = {
        "run_id": run_ids,
        "experiment_id": experiment_ids,
        "status": pc.utf8_upper(table.column("status")),
        "artifact_uri": pc.binary_join_element_wise(pa.scalar("runs:/", pa.large_string()), run_ids,
                                                    pa.scalar("", pa.large_string())),
        "start_time": table.column("start_time"),
        "end_time": table.column("end_time"),
    }
    for name in table.column_names:
        if name.startswith(("metrics.", "params.", "tags.")):
            columns[name] = table.column(name)
    columns.setdefault("tags.mlflow.runName", table.column("name"))
    if "user" in table.column_names:
        columns.setdefault("tags.mlflow.user", table.column("user"))
    from mlm_jupyter.tracking.runs import search_frame

    return search_frame(pa.table(columns, metadata=table.schema.metadata))


def search_runs(experiment_ids: Any, filter_string: str | None, max_results: int, order_by: Any,
                output_format: str, search_all: bool, experiment_names: Any) -> Any:
    if output_format not in ("pandas", "list"):
        raise InvalidInputError(f"output_format is 'pandas' or 'list', not {output_format!r}")
    experiments = searched_experiments(experiment_ids, experiment_names, search_all)
    table = client().search_runs_table(filter_string or None, experiments, order_by, max_results)
    if output_format == "list":
        from mlm_jupyter.mlflow import get_run

        return [get_run(run_id) for run_id in table.column("run_id").to_pylist()]
    return mlflow_frame(table)
