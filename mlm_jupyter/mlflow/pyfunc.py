"""``mlflow.pyfunc.load_model(uri).predict(data)``: any logged model behind MLflow's generic interface."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.mlflow._no_equivalent import no_equivalent
from mlm_jupyter.mlflow._session import client

__all__ = ["PyFuncModel", "PythonModel", "load_model", "log_model"]


class PyFuncModel:
    """A loaded model with ``predict``; ``unwrap_python_model()`` / ``get_raw_model()`` give the model itself."""

    def __init__(self, model: Any, uri: str) -> None:
        self._model = model
        self.model_uri = uri

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._model.predict(data)

    def unwrap_python_model(self) -> Any:
        return self._model

    def get_raw_model(self) -> Any:
        return self._model

    def __repr__(self) -> str:
        return f"mlflow.pyfunc.loaded_model: {self.model_uri} ({type(self._model).__name__})"


class PythonModel:
    """MLflow's base class for custom models; logging one has no mlm equivalent (see ``log_model``)."""

    def load_context(self, context: Any) -> None:  # pragma: no cover - interface only
        pass

    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError


def load_model(model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None, **_: Any) -> PyFuncModel:
    from mlm_jupyter.mlflow.client import model_uri as translate

    uri = translate(str(model_uri))
    return PyFuncModel(client().load_model(uri), uri)


def log_model(*args: Any, **kwargs: Any) -> None:
    no_equivalent("mlflow.pyfunc.log_model", "log the fitted estimator itself with mlflow.sklearn.log_model / "
                  "mlm.log_model (scikit-learn, XGBoost, LightGBM, PyTorch); a custom Python object needs "
                  "mlm.log_model(obj, name, flavor='pickle') and trust_pickle=True to load")
