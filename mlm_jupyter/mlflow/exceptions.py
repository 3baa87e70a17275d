"""``mlflow.exceptions``: ``MlflowException`` is mlm's ``MlmError``, the base of every error raised on purpose."""

from __future__ import annotations

from mlm_jupyter.core.errors import MlmError as MlflowException

__all__ = ["MlflowException"]
