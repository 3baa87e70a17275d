"""A loaded model version, the slot requests read it from, and the one safe way to load it.

Loading goes through the registry's own ``load_resolved`` (sha256 checked
against the store before anything is deserialised; pickle only with
``trust_pickle``; skops only with its trusted types), so the server cannot
load what ``mlm.load_model`` would refuse. A request reads ``slot.current``
once and uses that version for its prediction, its ``X-Model-Version``
header and its log rows; a reload replaces the attribute in one assignment,
so a switch happens between requests, never inside one.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from mlm_jupyter.core.errors import NotFoundError
from mlm_jupyter.core.model_entities import parse_model_uri
from mlm_jupyter.core.signature import ModelSignature

__all__ = ["ModelSlot", "ServedModel", "load_served"]


@dataclass(frozen=True)
class ServedModel:
    """One loaded model and what the server says about it."""

    model: Any
    uri: str
    sha256: str
    flavor: str
    name: str | None = None
    version: int | None = None
    alias: str | None = None
    signature: ModelSignature | None = None
    run_id: str | None = None
    lineage_digest: str | None = None
    loaded_at: float = field(default_factory=time.time)

    @property
    def label(self) -> str:
        """What ``X-Model-Version`` says: the version number, or ``sha256:<12 hex>`` for an unregistered model."""
        return str(self.version) if self.version is not None else f"sha256:{self.sha256[:12]}"

    @property
    def monitor_uri(self) -> str | None:
        """``models:/NAME/VERSION`` when this is a registered version (what monitoring logs under)."""
        return f"models:/{self.name}/{self.version}" if self.name and self.version is not None else None

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "alias": self.alias, "uri": self.uri,
                "sha256": self.sha256, "flavor": self.flavor, "run_id": self.run_id,
                "signature": self.signature.to_dict() if self.signature else None,
                "lineage_digest": self.lineage_digest, "loaded_at": self.loaded_at}


class ModelSlot:
    """Holds the version being served; ``current`` is swapped whole by ``switch``."""

    def __init__(self, served: ServedModel) -> None:
        self.current = served
        self.switches = 0

    def switch(self, served: ServedModel) -> None:
        self.current = served  # one reference assignment: atomic for every reader
        self.switches += 1


def _lineage_digest(client: Any, sha256: str, run_id: str | None) -> str:
    """A digest of what made the model: its bytes, its run's data fingerprints, code and environment."""
    parts: dict[str, Any] = {"model": sha256, "run": run_id}
    if run_id:
        try:
            run = client.get_run(run_id)
        except NotFoundError:
            run = None
        if run is not None:
            parts["inputs"] = sorted([item.name, item.role, getattr(item.fingerprint, "digest", str(item.fingerprint))]
                                     for item in run.inputs)
            provenance = dict(run.provenance or {})
            parts["code"] = [provenance.get(k) for k in ("git_commit", "diff_digest", "environment_digest")]
            parts["cell"] = (run.cell or {}).get("source_sha256") if isinstance(run.cell, dict) else None
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def load_served(client: Any, uri: str, *, trust_pickle: bool = False, trusted_types: tuple[str, ...] = (),
                alias: str | None = None) -> ServedModel:
    """Load ``uri`` through the registry (checked, recorded) and describe it for serving."""
    model, resolved = client.load_resolved(uri, trust_pickle=trust_pickle, trusted_types=trusted_types)
    manifest = resolved.manifest
    version = resolved.version
    signature = version.signature if version is not None else None
    if signature is None and manifest.get("signature"):
        signature = ModelSignature.from_dict(manifest["signature"])
    exported = manifest.get("model") if isinstance(manifest.get("model"), dict) else {}
    name = version.name if version is not None else exported.get("name")
    number = version.version if version is not None else exported.get("version")
    if alias is None and parse_model_uri(uri).kind == "models":
        alias = parse_model_uri(uri).alias
    digest = _lineage_digest(client, resolved.sha256, resolved.run_id) if version is not None \
        else hashlib.sha256(json.dumps({"model": resolved.sha256, "run": resolved.run_id}).encode()).hexdigest()
    return ServedModel(model=model, uri=uri, sha256=resolved.sha256, flavor=str(manifest.get("flavor")),
                       name=name, version=int(number) if number is not None else None, alias=alias,
                       signature=signature, run_id=resolved.run_id, lineage_digest=digest)
