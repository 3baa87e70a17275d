"""The pickle flavor: any Python object, used only when asked for; loading runs arbitrary code.

So loading needs ``trust_pickle=True``: a pickle can execute anything when read.
"""

from __future__ import annotations

import pickle
from typing import Any

from mlm_jupyter.core.errors import UntrustedModelError

__all__ = ["DISTRIBUTIONS", "FILE_NAME", "NAME", "load", "matches", "save"]

NAME = "pickle"
FILE_NAME = "model.pkl"
DISTRIBUTIONS: tuple[str, ...] = ()


def matches(model: Any) -> bool:
    return True


def save(model: Any) -> tuple[bytes, dict[str, Any]]:
    return pickle.dumps(model, protocol=5), {"class": f"{type(model).__module__}.{type(model).__qualname__}",
                                             "python_module": type(model).__module__}


def load(data: bytes, details: dict[str, Any], options: Any) -> Any:
    if not options.trust_pickle:
        raise UntrustedModelError(
            f"this model ({details.get('class', 'unknown class')}) is a pickle, and reading a pickle can run "
            "arbitrary code. Load it only if you trust its source, with load_model(..., trust_pickle=True).",
            flavor=NAME)
    return pickle.loads(data)
