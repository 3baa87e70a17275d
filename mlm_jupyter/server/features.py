"""REST views of the features other layers provide (registry, cell history, lineage).

Each view calls the client's own method for the feature; while a build lacks
it, the route answers 501 ``NOT_IMPLEMENTED`` with what is missing, so the
URL table never changes.
"""

from __future__ import annotations

from typing import Any, Callable

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.server.errors import NotServedError
from mlm_jupyter.server.views import jsonable
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["cells_view", "lineage_view", "model_history_view", "model_view", "models_view", "set_alias_view"]


def _method(client: MlmClient, name: str, feature: str) -> Callable[..., Any]:
    method = getattr(client, name, None)
    if method is None:
        raise NotServedError(f"{feature} is not available in this mlm-jupyter build (MlmClient.{name} is missing); "
                             "upgrade mlm-jupyter on the server", feature=feature)
    return method  # type: ignore[no-any-return]


def models_view(client: MlmClient) -> dict[str, Any]:
    return {"models": jsonable(_method(client, "list_models", "the model registry")())}


def model_view(client: MlmClient, name: str) -> dict[str, Any]:
    model = jsonable(_method(client, "get_model", "the model registry")(name))
    versions = jsonable(_method(client, "get_model_versions", "the model registry")(name))
    return {**model, "versions": versions} if isinstance(model, dict) else {"name": name, "versions": versions}


def model_history_view(client: MlmClient, name: str) -> dict[str, Any]:
    history = _method(client, "model_history", "the model registry")(name)
    if hasattr(history, "to_dict"):
        history = history.to_dict(orient="records")
    return {"name": name, "history": jsonable(history)}


def set_alias_view(client: MlmClient, name: str, body: dict[str, Any]) -> dict[str, Any]:
    alias, version, reason = body.get("alias"), body.get("version"), body.get("reason")
    if not isinstance(alias, str) or not alias:
        raise InvalidInputError('give {"alias": "production", "version": 3, "reason": "..."}')
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInputError(f"version must be an integer, got {version!r}")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInputError("reason must be a string")
    _method(client, "set_alias", "the model registry")(name, alias, version=version, reason=reason)
    return model_view(client, name)


def cells_view(client: MlmClient, *, notebook: str | None, session: str | None, limit: int) -> dict[str, Any]:
    records = _method(client, "cell_history", "cell history")(notebook=notebook, session=session, limit=limit)
    if hasattr(records, "to_dict"):
        records = records.to_dict(orient="records")
    return {"cells": jsonable(records)}


def lineage_view(client: MlmClient, ref: str) -> dict[str, Any]:
    return {"ref": ref, "lineage": jsonable(_method(client, "lineage", "lineage")(ref))}
