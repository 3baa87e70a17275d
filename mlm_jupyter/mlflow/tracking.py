"""``mlflow.tracking``: where MLflow code finds ``MlflowClient``."""

from __future__ import annotations

from mlm_jupyter.mlflow.client import MlflowClient

__all__ = ["MlflowClient"]
