"""Registry entities: model versions, registered models, audit events, and model URIs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from mlm_jupyter.core.entities import to_datetime
from mlm_jupyter.core.errors import InvalidInputError
from mlm_jupyter.core.signature import ModelSignature

__all__ = [
    "ModelUri", "ModelVersion", "RegisteredModel", "RegistryEvent", "check_alias", "check_model_name",
    "parse_model_uri",
]

_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,199}$")
_ALIAS = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")
#: aliases the registry resolves itself; nobody may set them
RESERVED_ALIASES = frozenset({"latest"})


def check_model_name(name: Any) -> str:
    """Return ``name`` if it is a valid registered-model name, else raise ``InvalidInputError``."""
    if not isinstance(name, str) or not _MODEL_NAME.match(name):
        raise InvalidInputError(
            f"invalid model name {name!r}: use 1-200 letters, digits, '_', '-' or '.', starting with a "
            "letter or digit (no '/', '@' or spaces)", name=str(name)[:200])
    return name


def check_alias(alias: Any) -> str:
    """Return ``alias`` if it is a valid alias (lowercase, e.g. ``production``), else raise."""
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidInputError(
            f"invalid alias {alias!r}: aliases are lowercase names of 1-64 letters, digits, '_' or '-' "
            "starting with a letter, e.g. 'production', 'staging', 'champion'", alias=str(alias)[:64])
    if alias in RESERVED_ALIASES:
        raise InvalidInputError(f"'{alias}' is resolved by the registry itself and cannot be set; pick another "
                                "alias name", alias=alias)
    return alias


@dataclass(frozen=True)
class ModelUri:
    """A parsed model reference.

    ``kind`` is ``"models"`` (``name`` plus ``version`` or ``alias``), ``"runs"``
    (``run_id`` plus ``artifact_path``) or ``"path"`` (a local directory or file).
    """

    kind: str
    name: str | None = None
    version: int | None = None
    alias: str | None = None
    run_id: str | None = None
    artifact_path: str | None = None
    path: str | None = None

    def __str__(self) -> str:
        if self.kind == "models":
            return f"models:/{self.name}/{self.version}" if self.version is not None else \
                f"models:/{self.name}@{self.alias}"
        if self.kind == "runs":
            return f"runs:/{self.run_id}/{self.artifact_path}"
        return str(self.path)


def parse_model_uri(uri: Any) -> ModelUri:
    """Parse ``models:/name/3``, ``models:/name@alias``, ``runs:/<run_id>/model`` or a local path."""
    text = str(uri)
    if text.startswith("models:/"):
        rest = text[len("models:/"):].strip("/")
        if "@" in rest:
            name, _, alias = rest.partition("@")
            if alias != "latest":
                check_alias(alias)
            return ModelUri("models", name=check_model_name(name), alias=alias)
        name, _, version = rest.rpartition("/")
        if not name:
            return ModelUri("models", name=check_model_name(version), alias="latest")
        if not version.isdigit() or int(version) < 1:
            raise InvalidInputError(
                f"cannot read model URI {text!r}: use models:/NAME/VERSION (a number from 1) or "
                "models:/NAME@ALIAS", uri=text)
        return ModelUri("models", name=check_model_name(name), version=int(version))
    if text.startswith("runs:/"):
        rest = text[len("runs:/"):].strip("/")
        run_id, _, artifact_path = rest.partition("/")
        if not run_id:
            raise InvalidInputError(f"cannot read model URI {text!r}: use runs:/<run_id>/model", uri=text)
        return ModelUri("runs", run_id=run_id, artifact_path=artifact_path.strip("/") or "model")
    if "://" in text or text.startswith(("models:", "runs:")):
        raise InvalidInputError(
            f"unknown model URI {text!r}: use models:/NAME/VERSION, models:/NAME@ALIAS, runs:/<run_id>/model "
            "or a local path", uri=text)
    return ModelUri("path", path=text)


def _json(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return json.loads(value)
    return value


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model.

    ``sha256`` addresses the serialised model file in the store; loading
    refuses a file whose bytes no longer hash to it. ``aliases`` are the
    aliases that point at this version now.
    """

    name: str
    version: int
    run_id: str | None
    sha256: str
    flavor: str
    aliases: tuple[str, ...] = ()
    signature: ModelSignature | None = None
    status: str = "ready"
    description: str | None = None
    source: str | None = None
    requirements: tuple[str, ...] = ()
    size: int | None = None
    manifest_sha256: str | None = None
    card_sha256: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """``models:/name/version``: the URI that always means exactly this version."""
        return f"models:/{self.name}/{self.version}"

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ModelVersion:
        signature = _json(record.get("signature"), None)
        return cls(
            name=record["name"], version=int(record["version"]), run_id=record.get("run_id"),
            sha256=record["sha256"], flavor=record["flavor"], aliases=tuple(record.get("aliases") or ()),
            signature=ModelSignature.from_dict(signature) if signature else None,
            status=record.get("status") or "ready", description=record.get("description"),
            source=record.get("source"), requirements=tuple(_json(record.get("requirements"), [])),
            size=record.get("size"), manifest_sha256=record.get("manifest_sha256"),
            card_sha256=record.get("card_sha256"), created_at=to_datetime(record.get("created_at")),
            created_by=record.get("created_by"), metrics=dict(record.get("metrics") or {}),
        )


@dataclass(frozen=True)
class RegisteredModel:
    """A model name with its versions' summary and current aliases (alias -> version)."""

    name: str
    description: str | None
    created_at: datetime | None
    updated_at: datetime | None
    latest_version: int | None
    versions: int
    aliases: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RegisteredModel:
        return cls(name=record["name"], description=record.get("description"),
                   created_at=to_datetime(record.get("created_at")), updated_at=to_datetime(record.get("updated_at")),
                   latest_version=record.get("latest_version"), versions=int(record.get("versions") or 0),
                   aliases=dict(_json(record.get("aliases"), {})))


@dataclass(frozen=True)
class RegistryEvent:
    """One immutable entry of a model's audit trail.

    ``action`` is one of ``version_created``, ``alias_set``, ``alias_moved``,
    ``alias_removed``, ``version_archived``, ``version_restored``,
    ``description_changed``, ``promotion_blocked``, ``rule_set``,
    ``rule_removed``. ``from_value``/``to_value`` hold what changed (for an
    alias: the versions it pointed to before and after).
    """

    id: int
    time: datetime | None
    user: str | None
    model: str
    version: int | None
    action: str
    alias: str | None
    from_value: str | None
    to_value: str | None
    reason: str | None
    forced: bool
    details: Mapping[str, Any] = field(default_factory=dict)
    identity_provider: str | None = None  # who vouched for ``user``: jupyterhub, jupyter_server:..., local, journal

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RegistryEvent:
        return cls(id=int(record["id"]), time=to_datetime(record.get("time")), user=record.get("user_name"),
                   model=record["model"], version=record.get("version"), action=record["action"],
                   alias=record.get("alias"), from_value=record.get("from_value"), to_value=record.get("to_value"),
                   reason=record.get("reason"), forced=bool(record.get("forced")),
                   details=dict(_json(record.get("details"), {})),
                   identity_provider=record.get("identity_provider"))
