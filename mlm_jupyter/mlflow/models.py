"""``mlflow.models``: signatures (``infer_signature``, ``ModelSignature``) as mlm records them."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.signature import ModelSignature
from mlm_jupyter.core.signature import infer_signature as _infer

__all__ = ["ModelSignature", "infer_signature"]


def infer_signature(model_input: Any = None, model_output: Any = None, params: Any = None) -> ModelSignature:
    """The signature of a model taking ``model_input`` and returning ``model_output`` (``params`` ignored)."""
    return _infer(model_input, model_output)
