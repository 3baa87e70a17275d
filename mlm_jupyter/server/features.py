"""REST views of the features other layers provide (registry, cell history, lineage).

Each view calls the client's own method for the feature; while a build lacks
it, the route answers 501 ``NOT_IMPLEMENTED`` with what is missing, so the
URL table never changes.
"""

from __future__ import annotations

from typing import Any, Callable

from mlm_jupyter.core.cell_timeline import mark_stale
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.server.errors import NotServedError
from mlm_jupyter.server.views import jsonable
from mlm_jupyter.tracking.client import MlmClient

__all__ = ["cells_view", "lineage_view", "model_aliases_view", "model_history_view", "model_version_view",
           "model_versions_view", "model_view", "models_view", "set_alias_view"]


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


def model_versions_view(client: MlmClient, name: str) -> dict[str, Any]:
    """Every version of ``name`` (404 for an unknown model)."""
    _method(client, "get_model", "the model registry")(name)
    return {"name": name, "versions": jsonable(_method(client, "get_model_versions", "the model registry")(name))}


def model_aliases_view(client: MlmClient, name: str) -> dict[str, Any]:
    """``{"name", "aliases": {alias: version}}``."""
    model = jsonable(_method(client, "get_model", "the model registry")(name))
    aliases = model.get("aliases") if isinstance(model, dict) else None
    return {"name": name, "aliases": aliases or {}}


def model_version_view(client: MlmClient, name: str, version: str) -> dict[str, Any]:
    """One version by number (``3``) or alias (``production``)."""
    getter = _method(client, "get_model_version", "the model registry")
    return jsonable(getter(name, int(version) if version.isdigit() else version))  # type: ignore[no-any-return]


def model_history_view(client: MlmClient, name: str) -> dict[str, Any]:
    """The audit trail, oldest first; alias moves carry ``previous_version``."""
    _method(client, "get_model", "the model registry")(name)  # 404 for an unknown model
    events = _method(client, "model_events", "the model registry")(name)
    history = []
    for event in events:
        item = jsonable(event)
        item["from"], item["to"] = item.get("from_value"), item.get("to_value")  # the DataFrame's names
        item["previous_version"] = _as_int(item.get("from_value")) if item.get("alias") else None
        history.append(item)
    return {"name": name, "history": history}


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def set_alias_view(client: MlmClient, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{"alias", "version", "reason", "force"?}``: set or move an alias through the promotion rules."""
    alias, version, reason = body.get("alias"), body.get("version"), body.get("reason")
    if not isinstance(alias, str) or not alias:
        raise InvalidInputError('give {"alias": "production", "version": 3, "reason": "..."}')
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInputError(f"version must be an integer, got {version!r}")
    if reason is not None and not isinstance(reason, str):
        raise InvalidInputError("reason must be a string")
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInputError(f"force must be true or false, got {force!r}")
    setter = _method(client, "set_alias", "the model registry")
    if force:  # overrides the promotion rules; the registry requires a reason and records it as forced
        setter(name, alias, version=version, reason=reason, force=True)
    else:
        setter(name, alias, version=version, reason=reason)
    return model_view(client, name)


def cells_view(client: MlmClient, *, notebook: str | None, session: str | None, limit: int) -> dict[str, Any]:
    frame = _method(client, "cell_history", "cell history")(notebook=notebook, session=session, limit=limit)
    records = jsonable(frame.to_dict(orient="records") if hasattr(frame, "to_dict") else frame)
    return {"cells": mark_stale(records)}  # stale / superseded executions marked, as the history view shows them


def lineage_view(client: MlmClient, ref: str, depth: int) -> dict[str, Any]:
    graph = _method(client, "lineage", "lineage")(ref, depth=depth)
    return {"ref": ref, "lineage": jsonable(graph.to_dict() if hasattr(graph, "to_dict") else graph)}
