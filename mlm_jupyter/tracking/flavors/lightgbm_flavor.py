"""The LightGBM flavor: the booster's text model format (scikit-learn wrappers load back as a Booster)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "load", "matches", "save"]

NAME = "lightgbm"
FILE_NAME = "model.lgb.txt"
DISTRIBUTIONS = ("lightgbm", "numpy", "scipy")


def matches(model: Any) -> bool:
    if "lightgbm" not in sys.modules:
        return False
    import lightgbm

    return isinstance(model, (lightgbm.Booster, lightgbm.LGBMModel))


def save(model: Any) -> tuple[bytes, dict[str, Any]]:
    import lightgbm

    booster = model if isinstance(model, lightgbm.Booster) else model.booster_
    return booster.model_to_string().encode("utf-8"), {
        "class": f"{type(model).__module__}.{type(model).__qualname__}", "loads_as": "lightgbm.Booster"}


def load(data: bytes, details: dict[str, Any], options: Any) -> Any:
    import lightgbm

    return lightgbm.Booster(model_str=data.decode("utf-8"))
