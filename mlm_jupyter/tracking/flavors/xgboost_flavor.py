"""The XGBoost flavor: boosters and scikit-learn wrappers in XGBoost's own JSON format."""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any

from mlm_jupyter.core.errors import UntrustedModelError

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "load", "matches", "save"]

NAME = "xgboost"
FILE_NAME = "model.xgb.json"
DISTRIBUTIONS = ("xgboost", "numpy", "scipy")


def matches(model: Any) -> bool:
    if "xgboost" not in sys.modules:
        return False
    import xgboost

    return isinstance(model, (xgboost.Booster, xgboost.XGBModel))


def save(model: Any) -> tuple[bytes, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, FILE_NAME)
        model.save_model(path)
        with open(path, "rb") as handle:
            data = handle.read()
    return data, {"class": f"{type(model).__module__}.{type(model).__qualname__}"}


def load(data: bytes, details: dict[str, Any], options: Any) -> Any:
    import xgboost

    module, _, name = str(details.get("class", "xgboost.core.Booster")).rpartition(".")
    if not module.startswith("xgboost"):
        raise UntrustedModelError(f"an xgboost model names the class {details.get('class')!r}, outside xgboost")
    cls = getattr(xgboost, name, None)
    if not (isinstance(cls, type) and issubclass(cls, (xgboost.Booster, xgboost.XGBModel))):
        cls = xgboost.Booster  # the manifest decides nothing beyond which xgboost model class to rebuild
    model = cls()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, FILE_NAME)
        with open(path, "wb") as handle:
            handle.write(data)
        model.load_model(path)
    return model
