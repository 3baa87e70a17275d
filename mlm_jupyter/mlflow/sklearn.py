"""``mlflow.sklearn``: log and load scikit-learn models through mlm's registry (skops files, sha256-verified)."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.mlflow._no_equivalent import no_equivalent
from mlm_jupyter.mlflow._session import client, ensure_run
from mlm_jupyter.mlflow.entities import ModelInfo

__all__ = ["autolog", "load_model", "log_model", "save_model"]

FLAVOR: str | None = None  # the native flavor chosen from the model (sklearn)


def log_model(sk_model: Any, artifact_path: str | None = None, *, name: str | None = None,
              registered_model_name: str | None = None, signature: Any = None, input_example: Any = None,
              **ignored: Any) -> ModelInfo:
    """Log ``sk_model`` with the active run (one is started if none is) under ``name`` (MLflow 3) or
    ``artifact_path`` (MLflow 2); with ``registered_model_name`` it becomes that model's next version.

    MLflow-only options (``pip_requirements``, ``serialization_format``, ``params``, ...) are accepted
    and ignored: mlm records the environment itself and stores the model as a skops file.
    """
    return log_flavored_model(sk_model, artifact_path, name, registered_model_name, signature, input_example,
                              FLAVOR)


def log_flavored_model(model: Any, artifact_path: str | None, name: str | None, registered_model_name: str | None,
                       signature: Any, input_example: Any, flavor: str | None) -> ModelInfo:
    folder = (name or artifact_path or "model").strip("/")
    run_id = ensure_run()
    signature = _native_signature(signature)
    from mlm_jupyter.mlflow.logged_models import remember

    if registered_model_name is None:
        uri = client().log_model_files(run_id, model, folder, input_example=input_example, signature=signature,
                                       flavor=flavor)
        remember(uri)
        return ModelInfo(artifact_path=folder, model_uri=uri, run_id=run_id, signature=signature, name=folder)
    version = client().log_model(run_id, model, registered_model_name, input_example=input_example,
                                 signature=signature, flavor=flavor, artifact_path=folder)
    remember(f"runs:/{run_id}/{folder}")
    return ModelInfo(artifact_path=folder, model_uri=f"runs:/{run_id}/{folder}", run_id=run_id,
                     flavors={version.flavor: {}}, signature=version.signature,
                     registered_model_version=version.version, name=folder)


def _native_signature(signature: Any) -> Any:
    """Our ``ModelSignature`` as is; another kind (MLflow's own) is dropped: mlm infers one from the example."""
    if signature is None or type(signature).__module__.startswith("mlm_jupyter"):
        return signature
    return None


def load_model(model_uri: str, dst_path: str | None = None) -> Any:
    """The model at ``models:/name/3``, ``models:/name@alias``, ``models:/name/latest`` or ``runs:/<id>/model``."""
    from mlm_jupyter.mlflow.client import model_uri as translate

    return client().load_model(translate(str(model_uri)))


def save_model(sk_model: Any, path: str, **ignored: Any) -> None:
    no_equivalent("mlflow.sklearn.save_model", "log it (mlflow.sklearn.log_model or mlm.log_model), then "
                  "mlm.export_model('models:/NAME/N', path) writes a self-contained folder")


def autolog(*args: Any, **kwargs: Any) -> None:
    from mlm_jupyter.mlflow import autolog as _autolog

    _autolog()
