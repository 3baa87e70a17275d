"""The error for MLflow calls that have no mlm equivalent: it names the mlm way instead."""

from __future__ import annotations

from typing import NoReturn

from mlm_jupyter.core.errors import MlmError

__all__ = ["NoEquivalentError", "no_equivalent"]


class NoEquivalentError(MlmError, AttributeError):
    """An MLflow call mlm does not translate. Also an ``AttributeError``, so ``hasattr`` stays honest."""

    code = "NO_EQUIVALENT"
    http_status = 400


def no_equivalent(call: str, instead: str) -> NoReturn:
    raise NoEquivalentError(f"{call} has no equivalent in mlm-jupyter's MLflow layer; instead: {instead}.",
                            call=call)
