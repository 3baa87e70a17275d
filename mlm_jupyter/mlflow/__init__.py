"""``import mlm_jupyter.mlflow as mlflow``: MLflow's fluent tracking and registry API over mlm's store.

A translation layer, not a second implementation: every call maps to the
native ``mlm`` API (``mlm_jupyter.tracking``) and returns MLflow-shaped
entities (``mlm_jupyter.mlflow.entities``). Differences from MLflow that a
user can meet:

- the tracking URI is an mlm store directory or the URL of a Jupyter server
  running the mlm extension (``sqlite:///`` and ``databricks`` are not: use
  ``mlm import --from URI`` to bring such a store over);
- ``run.info.artifact_uri`` is ``runs:/<run_id>`` (``mlflow.artifacts`` and
  ``MlflowClient.download_artifacts`` read it);
- ``search_runs()`` without experiments searches the active experiment, as
  MLflow does (the native ``mlm.search_runs()`` searches every experiment);
- calls with no mlm equivalent (``autolog``, tracing, deleting runs, ...)
  raise ``NoEquivalentError`` naming the mlm way.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError
from mlm_jupyter.mlflow._no_equivalent import NoEquivalentError, no_equivalent
from mlm_jupyter.mlflow._session import client as _client
from mlm_jupyter.mlflow._session import (
    active_experiment_name,
    ensure_run,
    experiment_id_of,
    experiment_name_of,
    get_tracking_uri,
    set_tracking_uri,
)
from mlm_jupyter.mlflow.entities import Experiment, Run
from mlm_jupyter.tracking import fluent as _fluent

__all__ = [
    "ActiveRun", "MlflowClient", "MlflowException", "NoEquivalentError", "active_run", "create_experiment",
    "delete_tag", "end_run", "get_artifact_uri", "get_experiment", "get_experiment_by_name", "get_registry_uri",
    "get_logged_model", "get_run", "get_tracking_uri", "last_active_run", "last_logged_model", "log_artifact", "log_artifacts", "log_dict", "log_figure",
    "log_image", "log_input", "log_metric", "log_metrics", "log_param", "log_params", "log_table", "log_text",
    "register_model", "search_experiments", "search_logged_models", "search_runs", "set_experiment", "set_registry_uri", "set_tag",
    "set_tags", "set_tracking_uri", "start_run",
]

MlflowException = MlmError  # ``except mlflow.MlflowException`` catches every error we raise on purpose
_last_run_id: str | None = None
_SUBMODULES = {"logged_models", "sklearn", "pyfunc", "models", "data", "entities", "tracking", "artifacts", "exceptions", "client"}


class ActiveRun:
    """What ``start_run`` returns: ``.info`` / ``.data`` as MLflow has them; a context manager ending the run."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @property
    def _run(self) -> Run:
        return get_run(self._native.id)

    @property
    def info(self) -> Any:
        return self._run.info

    @property
    def data(self) -> Any:
        return self._run.data

    @property
    def inputs(self) -> Any:
        return self._run.inputs

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        global _last_run_id
        _last_run_id = self._native.id
        self._native.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self._native.id!r}, run_name={self._native.name!r}>"


# ---------------------------------------------------------------- experiments

def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active (created if missing, as in MLflow) and return it."""
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInputError("set_experiment takes exactly one of experiment_name= or experiment_id=")
    name = experiment_name if experiment_name is not None else experiment_name_of(str(experiment_id))
    _client().create_experiment(name)
    _fluent.set_experiment(name)
    return get_experiment_by_name(name)  # type: ignore[return-value]


def create_experiment(name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None) -> str:
    """Create the experiment ``name``; returns its id. ``artifact_location``/``tags`` have no mlm equivalent."""
    if artifact_location is not None:
        no_equivalent("create_experiment(artifact_location=...)",
                      "artifacts live in the store's sha256-addressed area (MLM_ARTIFACTS for object storage)")
    if _client().get_experiment_by_name(name) is not None:
        from mlm_jupyter.core.errors import AlreadyExistsError

        raise AlreadyExistsError(f"experiment {name!r} exists already; mlflow.set_experiment({name!r}) uses it")
    return _client().create_experiment(name)


def get_experiment(experiment_id: str) -> Experiment:
    name = experiment_name_of(str(experiment_id))
    found = get_experiment_by_name(name)
    if found is None:
        raise NotFoundError(f"no experiment with id {experiment_id!r}")
    return found


def get_experiment_by_name(name: str) -> Experiment | None:
    found = _client().get_experiment_by_name(name)
    return None if found is None else Experiment.from_mlm(found)


def search_experiments(view_type: int = 1, max_results: int | None = None, filter_string: str | None = None,
                       order_by: Any = None) -> list[Experiment]:
    """Every experiment (``filter_string`` supports ``name = '...'`` and ``name LIKE '...'``)."""
    found = [Experiment.from_mlm(e) for e in _client().experiments()]
    if filter_string:
        import fnmatch
        import re

        match = re.fullmatch(r"\s*(?:attributes\.)?name\s*(=|LIKE|ILIKE)\s*'([^']*)'\s*", filter_string, re.I)
        if match is None:
            raise InvalidInputError(f"search_experiments filters on name only (name = 'x', name LIKE 'x%'), "
                                    f"not {filter_string!r}")
        op, value = match.group(1).upper(), match.group(2)
        pattern = value.replace("%", "*").replace("_", "?")
        found = [e for e in found if (e.name == value if op == "=" else
                                      fnmatch.fnmatchcase(e.name.lower() if op == "ILIKE" else e.name,
                                                          pattern.lower() if op == "ILIKE" else pattern))]
    return found[:max_results] if max_results else found


# ---------------------------------------------------------------- runs

def start_run(run_id: str | None = None, experiment_id: str | None = None, run_name: str | None = None,
              nested: bool = False, parent_run_id: str | None = None, tags: Mapping[str, Any] | None = None,
              description: str | None = None, log_system_metrics: bool | None = None) -> ActiveRun:
    """Start a run (or resume ``run_id``) and make it active, as MLflow's ``start_run``."""
    tags = dict(tags or {})
    if description is not None:
        tags["mlflow.note.content"] = description
    run_name = run_name if run_name is not None else tags.pop("mlflow.runName", None)
    if run_id is not None:
        native = _fluent.start_run(run_id=run_id, run_name=run_name, tags=tags or None, nested=nested)
        return ActiveRun(native)
    experiment = None
    if experiment_id is not None:
        experiment = experiment_name_of(str(experiment_id))
    elif os.environ.get("MLFLOW_EXPERIMENT_NAME") and active_experiment_name() is None:
        experiment = os.environ["MLFLOW_EXPERIMENT_NAME"]
    native = _fluent.start_run(experiment, run_name=run_name, nested=nested, tags=tags or None,
                               parent_run_id=parent_run_id)
    return ActiveRun(native)


def end_run(status: str = "FINISHED") -> None:
    global _last_run_id
    current = _fluent.active_run()
    if current is not None:
        _last_run_id = current.id
    _fluent.end_run(status)


def active_run() -> ActiveRun | None:
    current = _fluent.active_run()
    return None if current is None else ActiveRun(current)


def last_active_run() -> Run | None:
    current = _fluent.active_run()
    run_id = current.id if current is not None else _last_run_id
    return None if run_id is None else get_run(run_id)


def get_run(run_id: str) -> Run:
    native = _client().get_run(run_id)
    return Run.from_mlm(native, experiment_id_of(native.experiment))


def _run_of_model(model_id: str | None) -> str | None:
    """MLflow 3 links a metric to a logged model; mlm links it to the model's run (outside an active run)."""
    if model_id is None or _fluent.active_run() is not None:
        return None
    from mlm_jupyter.mlflow.logged_models import get_logged_model as read

    return read(model_id).source_run_id


def _target(run_id: str | None) -> str:
    return run_id if run_id is not None else ensure_run()


def log_param(key: str, value: Any, synchronous: bool | None = None) -> Any:
    ensure_run()
    _fluent.log_param(key, value)  # the native call: in a notebook a store failure never fails the cell
    return value


def log_params(params: Mapping[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    if run_id is not None:
        _client().log_params(run_id, params)
        return
    ensure_run()
    _fluent.log_params(params)


def log_metric(key: str, value: float, step: int | None = None, synchronous: bool | None = None,
               timestamp: int | None = None, run_id: str | None = None, model_id: str | None = None,
               dataset: Any = None) -> None:
    """Log a metric point; ``step`` defaults to 0 as in MLflow (``timestamp`` is epoch milliseconds)."""
    run_id = run_id if run_id is not None else _run_of_model(model_id)
    if run_id is not None:
        _client().log_metric(run_id, key, value, 0 if step is None else step, timestamp)
    else:
        ensure_run()
        _fluent.log_metric(key, value, 0 if step is None else step, timestamp)
    if synchronous:
        _client().flush()


def log_metrics(metrics: Mapping[str, float], step: int | None = None, synchronous: bool | None = None,
                run_id: str | None = None, timestamp: int | None = None, model_id: str | None = None,
                dataset: Any = None) -> None:
    target = _target(run_id if run_id is not None else _run_of_model(model_id))
    _client().log_metrics(target, metrics, 0 if step is None else step, timestamp)
    if synchronous:
        _client().flush()


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    run_id = ensure_run()
    if key == "mlflow.runName":
        _client().rename_run(run_id, str(value))
    _fluent.set_tag(key, value)


def set_tags(tags: Mapping[str, Any], synchronous: bool | None = None) -> None:
    run_id = ensure_run()
    if "mlflow.runName" in tags:
        _client().rename_run(run_id, str(tags["mlflow.runName"]))
    _fluent.set_tags(tags)


def delete_tag(key: str) -> None:
    _client().delete_tag(ensure_run(), key)


# ---------------------------------------------------------------- artifacts

def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None,
                 run_id: str | None = None) -> None:
    _client().log_artifact(_target(run_id), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None,
                  run_id: str | None = None) -> None:
    """Every file under ``local_dir`` (paths relative to it) under ``artifact_path``."""
    if not Path(local_dir).is_dir():
        raise InvalidInputError(f"log_artifacts takes a folder; {str(local_dir)!r} is not one "
                                "(mlflow.log_artifact logs a single file)")
    _client().log_artifact(_target(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    _client().log_text(_target(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    """Store ``dictionary`` as JSON, or as YAML when ``artifact_file`` ends in .yaml/.yml (as MLflow does)."""
    if artifact_file.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:  # pragma: no cover - pyyaml comes with jupyter
            raise InvalidInputError("log_dict to a .yaml file needs PyYAML (pip install pyyaml); "
                                    "or use a .json file name") from None
        text = yaml.safe_dump(dictionary, default_flow_style=False)
    else:
        text = json.dumps(dictionary, indent=2)
    _client().log_text(_target(run_id), text, artifact_file)


def _log_file(run_id: str, artifact_file: str, write: Any) -> None:
    """Write a temporary file named like ``artifact_file`` with ``write(path)`` and log it at that path."""
    from mlm_jupyter.tracking.runs import _artifact_prefix

    relative = _artifact_prefix(artifact_file, "artifact_file")
    if not relative:
        raise InvalidInputError("the artifact needs a file name, e.g. 'plots/loss.png'")
    folder, _, filename = relative.rpartition("/")
    with tempfile.TemporaryDirectory(prefix="mlm-mlflow-") as temp:
        path = Path(temp) / filename
        write(path)
        _client().log_artifact(run_id, path, folder or None)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: Mapping[str, Any] | None = None) -> None:
    """A matplotlib or plotly figure as an image (or, for plotly, ``.html``)."""
    kwargs = dict(save_kwargs or {})

    def write(path: Path) -> None:
        if hasattr(figure, "savefig"):
            figure.savefig(path, **kwargs)
        elif hasattr(figure, "write_html") and path.suffix == ".html":
            figure.write_html(str(path), **kwargs)
        elif hasattr(figure, "write_image"):
            figure.write_image(str(path), **kwargs)
        else:
            raise InvalidInputError(f"log_figure takes a matplotlib or plotly figure, not a {type(figure).__name__}; "
                                    "save it to a file and use mlflow.log_artifact(path)")

    _log_file(ensure_run(), artifact_file, write)


def log_image(image: Any, artifact_file: str | None = None, key: str | None = None, step: int | None = None,
              timestamp: int | None = None, synchronous: bool | None = None) -> None:
    """A numpy array or PIL image as a PNG (``key`` + ``step``: ``images/<key>/step_<step>.png``)."""
    if artifact_file is None:
        if key is None:
            raise InvalidInputError("log_image needs artifact_file='x.png' or key='name' (with step=)")
        artifact_file = f"images/{key}/step_{0 if step is None else int(step)}.png"

    def write(path: Path) -> None:
        if hasattr(image, "save") and not hasattr(image, "shape"):
            image.save(path)
            return
        import numpy as np

        try:
            from PIL import Image
        except ImportError:
            import matplotlib.image

            matplotlib.image.imsave(path, np.asarray(image))
            return
        array = np.asarray(image)
        if array.dtype.kind == "f":
            array = (np.clip(array, 0, 1) * 255).astype("uint8")
        Image.fromarray(array.astype("uint8")).save(path)

    _log_file(ensure_run(), artifact_file, write)


def log_table(data: Any, artifact_file: str, run_id: str | None = None) -> None:
    """A dict of columns or a DataFrame as JSON ``{"columns": [...], "data": [[...]]}`` (MLflow's layout)."""
    import pandas as pd

    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    if not artifact_file.endswith(".json"):
        raise InvalidInputError(f"log_table writes JSON: give a .json artifact_file, not {artifact_file!r}")
    _client().log_text(_target(run_id), frame.to_json(orient="split", index=False), artifact_file)


def log_input(dataset: Any, context: str | None = None, tags: Mapping[str, str] | None = None,
              model: Any = None) -> None:
    """Link a dataset (``mlflow.data.from_pandas(...)``, or a DataFrame/array) to the active run."""
    obj = getattr(dataset, "df", None)
    if obj is None:
        obj = getattr(dataset, "features", dataset)
    name = getattr(dataset, "name", None)
    _client().log_input(ensure_run(), obj, name, context or "input")


def get_artifact_uri(artifact_path: str | None = None) -> str:
    from mlm_jupyter.mlflow.entities import run_uri

    base = run_uri(ensure_run())
    return f"{base}/{artifact_path.lstrip('/')}" if artifact_path else base


# ---------------------------------------------------------------- search and registry

def search_runs(experiment_ids: Any = None, filter_string: str = "", run_view_type: int = 1,
                max_results: int = 100_000, order_by: Any = None, output_format: str = "pandas",
                search_all_experiments: bool = False, experiment_names: Any = None) -> Any:
    """MLflow's ``search_runs``: the active experiment unless experiments are named (or all are asked for)."""
    from mlm_jupyter.mlflow._search import search_runs as _search

    return _search(experiment_ids, filter_string, max_results, order_by, output_format, search_all_experiments,
                   experiment_names)


def register_model(model_uri: str, name: str, await_registration_for: int = 300, *,
                   tags: Mapping[str, Any] | None = None) -> Any:
    """Register the model at ``model_uri`` as the next version of ``name``."""
    from mlm_jupyter.mlflow.client import MlflowClient

    return MlflowClient().create_model_version(name, model_uri, tags=tags)


def set_registry_uri(uri: str) -> None:
    """The registry lives in the tracking store: only the tracking URI itself (or ``None``) is accepted."""
    if uri and uri != get_tracking_uri():
        set_tracking_uri(uri)


def get_registry_uri() -> str:
    return get_tracking_uri()


def autolog(*args: Any, **kwargs: Any) -> None:
    no_equivalent("autolog()", "log what you want explicitly (mlflow.log_params(model.get_params()), "
                  "mlflow.log_metric(...)); in a notebook, %load_ext mlm_jupyter and %%track record every "
                  "literal parameter of the cell and its data inputs without code")


# ---------------------------------------------------------------- MLflow 3 logged models

def get_logged_model(model_id: str) -> Any:
    """MLflow 3's ``get_logged_model``: ``model_id`` is ``ModelInfo.model_id`` (``runs:/<run_id>/<folder>``)."""
    from mlm_jupyter.mlflow.logged_models import get_logged_model as read

    return read(model_id)


def last_logged_model() -> Any:
    """The model this process logged last through ``mlflow.<flavor>.log_model``, or None."""
    from mlm_jupyter.mlflow.logged_models import last_logged_model as last

    return last()


def search_logged_models(experiment_ids: list[str] | None = None, filter_string: str | None = None,
                         datasets: Any = None, max_results: int | None = None, order_by: list[Any] | None = None,
                         output_format: str = "pandas") -> Any:
    """MLflow 3's ``search_logged_models`` over the model folders of mlm runs (see ``mlflow.logged_models``)."""
    from mlm_jupyter.mlflow.logged_models import search_logged_models as search

    return search(experiment_ids, filter_string, datasets, max_results, order_by, output_format)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"mlm_jupyter.mlflow.{name}")
        globals()[name] = module
        return module
    if name == "MlflowClient":
        from mlm_jupyter.mlflow.client import MlflowClient

        return MlflowClient
    if name.startswith("__"):
        raise AttributeError(name)
    return no_equivalent(f"mlflow.{name}", "see `help(mlm_jupyter.mlflow)` for the calls translated, and "
                         "`dir(mlm_jupyter)` for the native API")
