"""Where the MLflow layer writes: the tracking URI, experiment ids and names, and the run MLflow would auto-start."""

from __future__ import annotations

import os
from pathlib import Path

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.mlflow._no_equivalent import no_equivalent
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["active_experiment_name", "client", "ensure_run", "experiment_id_of", "experiment_name_of",
           "get_tracking_uri", "set_tracking_uri"]

_DEFAULT_IDS = {"0", "default"}  # MLflow's default experiment id


def client() -> MlmClient:
    return fluent.get_client()


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Point the fluent API (native and MLflow layer alike) at a store directory or a server URL.

    ``http(s)://host:port/`` is a Jupyter server running the mlm extension (token from ``MLM_TOKEN``);
    ``file:///path`` or a plain path is a store directory; ``None`` or ``""`` resolves the store again.
    """
    if uri is None or str(uri) == "":
        fluent.set_client(None)
        return
    text = os.fspath(uri)
    if text.startswith(("http://", "https://")):
        from mlm_jupyter.store.remote import open_remote_store

        fluent.set_client(MlmClient(open_remote_store(text, os.environ.get("MLM_TOKEN"))))
        return
    if text.startswith(("sqlite:", "postgresql:", "mysql:", "mssql:", "databricks", "uc:")):
        no_equivalent(f"set_tracking_uri({text!r})",
                      f"the MLflow store at {text!r} can be copied into an mlm store with `mlm import --from "
                      f"{text}`; then set_tracking_uri(<mlm store directory>) or leave it unset")
    path = Path(text[len("file://"):] if text.startswith("file://") else text).expanduser()
    fluent.set_client(MlmClient(path))


def get_tracking_uri() -> str:
    described = client().store.describe()
    return str(described.get("url") or described.get("directory") or "")


def active_experiment_name() -> str | None:
    return fluent.active_experiment()


def experiment_name_of(experiment_id: str) -> str:
    """The name of the experiment with this id (our ids; MLflow's default id "0" is the Default experiment)."""
    for name, id_ in client().experiment_ids().items():
        if id_ == experiment_id or name == experiment_id:
            return name
    if experiment_id.lower() in _DEFAULT_IDS:
        return "Default"
    raise NotFoundError(f"no experiment with id {experiment_id!r}; mlflow.search_experiments() lists them",
                        experiment_id=experiment_id)


def experiment_id_of(name: str) -> str:
    found = client().experiment_ids().get(name)
    return found if found is not None else client().create_experiment(name)


def ensure_run() -> str:
    """The active run's id; like MLflow, a ``log_*`` call outside a run starts one (ended at exit)."""
    current = fluent.active_run()
    if current is None:
        from mlm_jupyter.mlflow import start_run

        return start_run()._native.id  # type: ignore[no-any-return]
    return current.id
