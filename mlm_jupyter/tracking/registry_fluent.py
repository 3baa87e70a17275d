"""The fluent registry API: ``mlm.log_model``, ``mlm.set_alias``, ``mlm.load_model``, ... on the default client."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.model_entities import (
    ModelVersion,
    RegisteredModel,
    parse_model_uri,
)
from mlm_jupyter.core.promotion import PromotionRule
from mlm_jupyter.tracking import fluent
from mlm_jupyter.tracking.flavors import flavor_for
from mlm_jupyter.tracking.model_export import load_model_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "archive_model_version", "delete_alias", "delete_promotion_rule", "export_model", "get_model_version",
    "load_model", "log_model", "model_card", "model_history", "model_loads", "model_versions", "models",
    "promotion_rules", "register_model", "restore_model_version", "set_alias", "set_model_description",
    "set_promotion_rule",
]


def log_model(model: Any, name: str | None = None, *, input_example: Any = None, signature: Any = None,
              flavor: str | None = None, artifact_path: str | None = None, description: str | None = None,
              registered_model_name: str | None = None) -> ModelVersion:
    """Log ``model`` with the active run and register it as the next version of ``name``.

    ``name`` is the registry name. MLflow's ``registered_model_name=`` is accepted too; given
    with ``name``, ``name`` is then the model's artifact folder, as in MLflow 3. Outside a run,
    a short run named after the model is started and ended around the call. See
    ``MlmClient.log_model`` for the arguments.
    """
    from mlm_jupyter.tracking.registry import registry_and_artifact_names

    registry_name, artifact_path = registry_and_artifact_names(name, registered_model_name, artifact_path)
    client = fluent.get_client()
    run = fluent.active_run()
    if run is not None:
        return client.log_model(run.id, model, registry_name, input_example=input_example, signature=signature,
                                flavor=flavor, artifact_path=artifact_path, description=description)
    flavor_for(model, flavor)  # refuse a bad model before making a run that would only fail
    with fluent.start_run(name=f"log-model-{registry_name}") as started:
        return client.log_model(started.id, model, registry_name, input_example=input_example,
                                signature=signature, flavor=flavor, artifact_path=artifact_path,
                                description=description)


def register_model(uri: str, name: str, *, description: str | None = None) -> ModelVersion:
    """Register the model at ``uri`` (``runs:/<run_id>/model``, ``models:/name/3``, a directory) under ``name``."""
    return fluent.get_client().register_model(uri, name, description=description)


def set_alias(name: str, alias: str, version: int, *, reason: str | None = None, force: bool = False) -> ModelVersion:
    """Point ``alias`` of ``name`` at ``version`` if its promotion rules pass (``force=True`` + ``reason`` overrides).

    Raises:
        PromotionBlockedError: a rule failed; the message says which and by how much.
    """
    return fluent.get_client().set_alias(name, alias, version, reason=reason, force=force)


def delete_alias(name: str, alias: str, *, reason: str | None = None) -> None:
    """Remove ``alias`` from ``name`` (recorded in the history)."""
    fluent.get_client().delete_alias(name, alias, reason=reason)


def models() -> list[RegisteredModel]:
    """Every registered model."""
    return fluent.get_client().models()


def model_versions(name: str, include_archived: bool = True) -> list[ModelVersion]:
    """The versions of ``name``, oldest first."""
    return fluent.get_client().model_versions(name, include_archived)


def get_model_version(name: str, version: int | str | None = None, *, alias: str | None = None) -> ModelVersion:
    """One version by number, by alias (``"production"``), or the latest when neither is given."""
    return fluent.get_client().get_model_version(name, version, alias=alias)


def model_history(name: str) -> pd.DataFrame:
    """The audit trail of ``name``: time, user, action, version, alias, from, to, reason, forced."""
    return fluent.get_client().model_history(name)


def model_loads(name: str | None = None) -> pd.DataFrame:
    """Recorded model loads, newest first."""
    return fluent.get_client().model_loads(name)


def model_card(name: str, version: int | str | None = None) -> str:
    """The markdown model card of a version."""
    return fluent.get_client().model_card(name, version)


def archive_model_version(name: str, version: int, *, reason: str | None = None) -> ModelVersion:
    """Archive a version (it leaves ``@latest``; aliases must not point at it)."""
    return fluent.get_client().archive_model_version(name, version, reason=reason)


def restore_model_version(name: str, version: int, *, reason: str | None = None) -> ModelVersion:
    """Undo ``archive_model_version``."""
    return fluent.get_client().restore_model_version(name, version, reason=reason)


def set_model_description(name: str, description: str, version: int | None = None, *,
                          reason: str | None = None) -> None:
    """Describe a model or one of its versions (recorded in the history)."""
    fluent.get_client().set_model_description(name, description, version, reason=reason)


def set_promotion_rule(name: str, rule: PromotionRule | str | None = None, *, metric: str | None = None,
                       op: str | None = None, threshold: float | None = None, higher_is_better: bool = True,
                       min_delta: float = 0.0, alias: str = "production", reason: str | None = None,
                       severity: str | None = None) -> PromotionRule:
    """Guard ``alias`` (default ``production``) of ``name`` with a promotion rule.

    Examples::

        mlm.set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
        mlm.set_promotion_rule("churn", "beats_current", metric="val_auc")
        mlm.set_promotion_rule("churn", "checks_passed")
        mlm.set_promotion_rule("churn", "scan_passed", severity="medium")  # latest mlm.scan: nothing >= medium
    """
    return fluent.get_client().set_promotion_rule(
        name, rule, metric=metric, op=op, threshold=threshold, higher_is_better=higher_is_better,
        min_delta=min_delta, alias=alias, reason=reason, severity=severity)


def promotion_rules(name: str, alias: str | None = None) -> list[PromotionRule]:
    """The promotion rules of ``name`` (or of one alias)."""
    return fluent.get_client().promotion_rules(name, alias)


def delete_promotion_rule(name: str, rule_id: str, *, alias: str = "production", reason: str | None = None) -> None:
    """Remove a promotion rule by id (``kind`` or ``kind:metric``)."""
    fluent.get_client().delete_promotion_rule(name, rule_id, alias=alias, reason=reason)


def load_model(uri: str | os.PathLike[str], *, trust_pickle: bool = False, trusted_types: Sequence[str] = (),
               monitor: bool | dict[str, Any] = False) -> Any:
    """Load a model from the registry, a run, or an exported directory, after verifying its sha256.

    An exported directory loads without opening any store. With ``monitor=True``
    (or a dict of ``Monitor`` options) a registered model comes back wrapped in a
    ``MonitoredModel`` whose ``predict`` / ``predict_proba`` log every batch
    (``model.monitor`` is the ``Monitor``).

    Raises:
        IntegrityError: the model file does not match its recorded sha256.
        UntrustedModelError: a pickle model without ``trust_pickle=True``.
    """
    if isinstance(uri, ModelVersion):
        uri = uri.uri
    if not isinstance(uri, (str, os.PathLike)):
        raise InvalidInputError(f"load_model takes a model URI such as 'models:/churn-rf@production', "
                                f"'runs:/<run_id>/model' or an exported folder, got a {type(uri).__name__}")
    if isinstance(uri, os.PathLike) or parse_model_uri(uri).kind == "path":
        if monitor:
            raise InvalidInputError("monitor=True needs a registered model (models:/NAME@ALIAS or models:/NAME/3), "
                                    "not an exported folder")
        return load_model_dir(uri, trust_pickle=trust_pickle, trusted_types=trusted_types)
    if monitor and parse_model_uri(uri).kind != "models":
        raise InvalidInputError(f"monitor=True needs a registered model (models:/NAME@ALIAS or models:/NAME/3), "
                                f"not {uri!r}")
    client = fluent.get_client()
    if not monitor:
        return client.load_model(uri, trust_pickle=trust_pickle, trusted_types=trusted_types)
    from mlm_jupyter.tracking.monitor import Monitor
    from mlm_jupyter.tracking.monitored_model import MonitoredModel

    watcher = Monitor(uri, client=client, **(monitor if isinstance(monitor, dict) else {}))
    model = client.load_model(watcher.model_version.uri, trust_pickle=trust_pickle, trusted_types=trusted_types)
    return MonitoredModel(model, watcher)


def export_model(uri: str, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write the model at ``uri`` as a self-contained directory (model, manifest, card, requirements, signature)."""
    return fluent.get_client().export_model(uri, path, overwrite=overwrite)
