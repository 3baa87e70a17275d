"""The model registry in the client: log, register, alias, gate, load and export model versions.

Model files live in the store's content-addressed blobs (``put_blob`` /
``read_blob``), so everything here works the same through the embedded
DuckDB store and the REST backend.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from mlm_jupyter.core.errors import (
    IntegrityError,
    InvalidInputError,
    MlmError,
    NotFoundError,
    PromotionBlockedError,
)
from mlm_jupyter.core.model_entities import (
    ModelVersion,
    RegisteredModel,
    RegistryEvent,
    check_alias,
    check_model_name,
    parse_model_uri,
)
from mlm_jupyter.core.promotion import PromotionRule
from mlm_jupyter.store.contract import Op, Store, WriteBatch
from mlm_jupyter.store.liveness import this_process
from mlm_jupyter.tracking.runs import current_user

if TYPE_CHECKING:
    import pandas as pd

    from mlm_jupyter.core.entities import Run

__all__ = ["RegistryClient", "ResolvedModel", "registry_and_artifact_names"]


def _model_package() -> ModuleType:
    """Model packaging, imported on first use (a script that only logs metrics never needs it)."""
    from mlm_jupyter.tracking import model_package

    return model_package


def _model_export() -> ModuleType:
    from mlm_jupyter.tracking import model_export

    return model_export


def _model_card() -> ModuleType:
    from mlm_jupyter.tracking import model_card

    return model_card


def registry_and_artifact_names(name: str | None, registered_model_name: str | None,
                                artifact_path: str | None) -> tuple[str, str | None]:
    """``(registry name, artifact folder)`` from ``log_model``'s arguments.

    ``name`` is the registry name, unless ``registered_model_name`` is given too: then, as in
    MLflow 3, ``name`` is the model's folder among the run's artifacts.
    """
    if registered_model_name is None:
        if name is None:
            raise InvalidInputError("log_model needs the registered model's name: log_model(model, name='churn-rf')")
        return check_model_name(name), artifact_path
    check_model_name(registered_model_name)
    if name is not None and name != registered_model_name:
        if artifact_path is not None and artifact_path != name:
            raise InvalidInputError(f"with registered_model_name={registered_model_name!r}, name={name!r} is the "
                                    f"artifact folder; artifact_path={artifact_path!r} says otherwise: give one")
        artifact_path = name
    return registered_model_name, artifact_path

_HISTORY_COLUMNS = ["time", "user", "action", "version", "alias", "from", "to", "reason", "forced", "details",
                    "identity_provider"]


@dataclass(frozen=True)
class ResolvedModel:
    """What a model URI points at: its manifest, its sha256, and the registry version if any."""

    uri: str
    manifest: dict[str, Any]
    sha256: str
    version: ModelVersion | None = None
    run_id: str | None = None


class RegistryClient:
    """The registry part of ``MlmClient`` (see ``tracking.client``)."""

    store: Store

    if TYPE_CHECKING:  # provided by MlmClient and RunsClient; declared here only for type checkers
        def flush(self) -> None: ...

        def get_run(self, run_id: str) -> Run: ...

    def _write(self, *ops: Op) -> list[Any]:
        return self.store.write(WriteBatch(tuple(ops)))

    # ------------------------------------------------------------ logging and registering

    def log_model(self, run_id: str, model: Any, name: str | None = None, *, input_example: Any = None,
                  signature: Any = None, flavor: str | None = None, artifact_path: str | None = None,
                  description: str | None = None, registered_model_name: str | None = None) -> ModelVersion:
        """Serialise ``model`` into run ``run_id`` and register it as the next version of ``name``.

        Args:
            run_id: the run that produced the model.
            model: a scikit-learn estimator or pipeline, an XGBoost/LightGBM model, a PyTorch module,
                or anything with ``flavor="pickle"``.
            name: the registered model name; versions count 1, 2, 3, ... per name.
            input_example: a few input rows; the signature is inferred from it (and the model's
                prediction on it) and the first rows are kept in the manifest.
            signature: a ``ModelSignature`` (or its dict) instead of inferring one.
            flavor: force a flavor; ``"pickle"`` must be asked for explicitly.
            artifact_path: where the package goes among the run's artifacts (``runs:/<id>/<path>``);
                default ``"model"``, or the model's name when another model of the run is at ``model``
                already (the version's ``source`` says which).
            description: the version's description.
            registered_model_name: MLflow's spelling of the registry name. Given with ``name``, ``name``
                is then (as in MLflow 3) the model's folder among the run's artifacts.

        Returns:
            The new ``ModelVersion``.
        """
        name, artifact_path = registry_and_artifact_names(name, registered_model_name, artifact_path)
        self.flush()
        package = _model_package().package_model(model, flavor=flavor, input_example=input_example, signature=signature,
                                run_id=run_id, user=current_user())
        ops, manifest_sha, prefix = self._model_artifact_ops(run_id, package, artifact_path, name)
        ops.append(self._version_op(name, package.manifest, manifest_sha, run_id, f"runs:/{run_id}/{prefix}",
                                    description))
        record = self._write(*ops)[-1]
        return self._attach_card(ModelVersion.from_record(record), package.manifest)

    def log_model_files(self, run_id: str, model: Any, artifact_path: str = "model", *, input_example: Any = None,
                        signature: Any = None, flavor: str | None = None) -> str:
        """Serialise ``model`` into run ``run_id`` at ``artifact_path`` without registering it.

        Returns the model's URI, ``runs:/<run_id>/<artifact_path>``; ``register_model`` takes it later.
        """
        self.flush()
        package = _model_package().package_model(model, flavor=flavor, input_example=input_example, signature=signature,
                                run_id=run_id, user=current_user())
        ops, _, prefix = self._model_artifact_ops(run_id, package, artifact_path, "model")
        self._write(*ops)
        return f"runs:/{run_id}/{prefix}"

    def _model_artifact_ops(self, run_id: str, package: Any, artifact_path: str | None,
                            name: str) -> tuple[list[Op], str, str]:
        sha256 = self.store.put_blob(package.data)
        manifest_data = _model_package().manifest_bytes(package.manifest)
        manifest_sha = self.store.put_blob(manifest_data)
        prefix = (artifact_path or "").strip("/") or self._free_model_path(run_id, name)
        if ".." in prefix.split("/"):
            raise InvalidInputError(f"artifact_path {artifact_path!r} climbs out of the run's folder with '..'")
        ops = [
            Op("log_artifact", {"run_id": run_id, "path": f"{prefix}/{package.manifest['model_file']}",
                                "sha256": sha256, "size": len(package.data)}),
            Op("log_artifact", {"run_id": run_id, "path": f"{prefix}/{_model_package().MANIFEST_FILE}", "sha256": manifest_sha,
                                "size": len(manifest_data)}),
        ]
        return ops, manifest_sha, prefix

    def _free_model_path(self, run_id: str, name: str) -> str:
        """``model`` unless another model of the run is there: then ``name`` (``name-2``, ... if taken too),
        so logging a second model never repoints ``runs:/<id>/model`` or an earlier version's source."""
        suffix = "/" + _model_package().MANIFEST_FILE
        taken = {a.path[:-len(suffix)] for a in self.get_run(run_id).artifacts if a.path.endswith(suffix)}
        candidates = itertools.chain(("model", name), (f"{name}-{i}" for i in itertools.count(2)))
        return next(c for c in candidates if c not in taken)

    def _version_op(self, name: str, manifest: Mapping[str, Any], manifest_sha: str, run_id: str | None,
                    source: str, description: str | None) -> Op:
        return Op("create_model_version", {
            "name": name, "run_id": run_id, "sha256": manifest["sha256"], "size": manifest.get("size"),
            "flavor": manifest["flavor"], "signature": manifest.get("signature"),
            "requirements": list(manifest.get("requirements") or []), "manifest_sha256": manifest_sha,
            "source": source, "description": description, "user": current_user()})

    def _attach_card(self, version: ModelVersion, manifest: Mapping[str, Any]) -> ModelVersion:
        card = self._render_card(version, manifest)
        card_sha = self.store.put_blob(card.encode("utf-8"))
        self._write(Op("set_model_card", {"name": version.name, "version": version.version, "card_sha256": card_sha}))
        return self.get_model_version(version.name, version.version)

    def register_model(self, uri: str, name: str, *, description: str | None = None) -> ModelVersion:
        """Register the model at ``uri`` (``runs:/<id>/model``, ``models:/other/3``, or an exported directory)
        as the next version of ``name``."""
        check_model_name(name)
        parsed = parse_model_uri(uri)
        if parsed.kind == "path":
            manifest, data = _model_export().read_model_dir(parsed.path or ".")
            stored_sha = self.store.put_blob(data)
            if stored_sha != manifest["sha256"]:
                raise IntegrityError(f"{parsed.path}: the model file hashes to {stored_sha}, but its manifest "
                                     f"says {manifest['sha256']}; refusing to register it",
                                     expected=manifest["sha256"], actual=stored_sha)
            manifest = {k: v for k, v in manifest.items() if k != "model"}
            run_id = None
        else:
            resolved = self._resolve(uri)
            manifest, run_id = resolved.manifest, resolved.run_id
        manifest_sha = self.store.put_blob(_model_package().manifest_bytes(manifest))
        record = self._write(self._version_op(name, manifest, manifest_sha, run_id, str(uri), description))[0]
        return self._attach_card(ModelVersion.from_record(record), manifest)

    def create_registered_model(self, name: str, *, description: str | None = None) -> RegisteredModel:
        """An empty registered model; versions come from ``log_model`` / ``register_model``."""
        self._write(Op("create_registered_model", {"name": check_model_name(name), "description": description,
                                                   "user": current_user()}))
        return self.get_model(name)

    def set_model_tag(self, name: str, key: str, value: Any, version: int | str | None = None) -> None:
        """Tag a registered model, or one of its versions when ``version`` is given."""
        from mlm_jupyter.core.validation import check_key, param_text

        check_key(key, "tag")
        self._write(Op("set_model_tag", {"name": name, "version": _version_number(version) if version else 0,
                                         "key": key, "value": param_text(value, key, "tag")}))

    def delete_model_tag(self, name: str, key: str, version: int | str | None = None) -> None:
        self._write(Op("delete_model_tag", {"name": name, "version": _version_number(version) if version else 0,
                                            "key": key}))

    def model_tags(self, name: str, version: int | str | None = None) -> dict[str, str]:
        """The tags of a registered model, or of one version."""
        return dict(self.store.read("model_tags", name=name,
                                    version=_version_number(version) if version else None))

    # ------------------------------------------------------------ reads

    def models(self) -> list[RegisteredModel]:
        """Every registered model with its latest version number and aliases."""
        return [RegisteredModel.from_record(r) for r in self.store.read("registered_models")]

    def list_models(self) -> list[RegisteredModel]:
        """Same as ``models()`` (the name the REST views use)."""
        return self.models()

    def get_model(self, name: str) -> RegisteredModel:
        """One registered model by name."""
        for model in self.models():
            if model.name == name:
                return model
        raise NotFoundError(f"no registered model named {name!r}; see mlm.models() for the names", name=name)

    def get_model_versions(self, name: str) -> list[ModelVersion]:
        """Same as ``model_versions(name)`` (the name the REST views use)."""
        return self.model_versions(name)

    def model_versions(self, name: str, include_archived: bool = True) -> list[ModelVersion]:
        """The versions of ``name``, oldest first."""
        return [ModelVersion.from_record(r)
                for r in self.store.read("model_versions", name=name, include_archived=include_archived)]

    def get_model_version(self, name: str, version: int | str | None = None, *,
                          alias: str | None = None) -> ModelVersion:
        """A version by number (``3``), by alias (``"production"``, ``"@production"``), or the latest."""
        self.flush()
        if isinstance(version, str) and not version.isdigit():
            alias, version = version.lstrip("@"), None
        record = self.store.read("model_version", name=name, version=None if version is None else int(version),
                                 alias=alias)
        return ModelVersion.from_record(record)

    def model_history(self, name: str) -> pd.DataFrame:
        """The audit trail of ``name``: one row per change, oldest first."""
        import pandas as pd

        events = [RegistryEvent.from_record(r) for r in self.store.read("model_history", name=name)]
        frame = pd.DataFrame([{"time": e.time, "user": e.user, "action": e.action, "version": e.version,
                               "alias": e.alias, "from": e.from_value, "to": e.to_value, "reason": e.reason,
                               "forced": e.forced, "details": dict(e.details),
                               "identity_provider": e.identity_provider} for e in events],
                             columns=_HISTORY_COLUMNS)
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        frame["version"] = pd.Series([e.version for e in events], dtype=object)  # ints, None for model-wide events
        return frame

    def model_events(self, name: str) -> list[RegistryEvent]:
        """The audit trail of ``name`` as ``RegistryEvent`` entities."""
        return [RegistryEvent.from_record(r) for r in self.store.read("model_history", name=name)]

    def model_loads(self, name: str | None = None) -> pd.DataFrame:
        """Recorded loads (newest first): which version was loaded, when, by whom, where."""
        import pandas as pd

        frame = pd.DataFrame(self.store.read("model_loads", name=name),
                             columns=["time", "user_name", "model", "version", "run_id", "sha256", "uri", "host", "pid",
                                      "identity_provider"])
        frame["time"] = pd.to_datetime(frame["time"], unit="s", utc=True)
        return frame

    # ------------------------------------------------------------ aliases, status, descriptions

    def set_alias(self, name: str, alias: str, version: int, *, reason: str | None = None,
                  force: bool = False) -> ModelVersion:
        """Point ``alias`` at ``version`` (atomically), if the alias's promotion rules pass.

        Raises:
            PromotionBlockedError: a rule failed; the message names each rule and by how much.
                ``force=True`` with a ``reason`` overrides, and the history records it as forced.
        """
        check_alias(alias)
        version = _version_number(version)
        self.flush()
        result = self._write(Op("set_alias", {"name": name, "alias": alias, "version": version,
                                              "reason": reason, "force": bool(force), "user": current_user()}))[0]
        if result["status"] == "blocked":
            reasons = "; ".join(f["message"] for f in result["failures"])
            raise PromotionBlockedError(
                f"cannot point {name}@{alias} at v{version}: {reasons}. Improve the model, change the rule "
                "(set_promotion_rule / delete_promotion_rule), or pass force=True with a reason= to override "
                "(recorded in the model history).", name=name, alias=alias, version=int(version),
                failures=result["failures"])
        return self.get_model_version(name, int(version))

    def delete_alias(self, name: str, alias: str, *, reason: str | None = None) -> None:
        """Remove ``alias`` from ``name`` (recorded in the history)."""
        self._write(Op("delete_alias", {"name": name, "alias": alias, "reason": reason, "user": current_user()}))

    def archive_model_version(self, name: str, version: int, *, reason: str | None = None) -> ModelVersion:
        """Archive a version: it stays loadable by number but leaves ``@latest``; no alias may point at it."""
        self._write(Op("set_version_status", {"name": name, "version": int(version), "status": "archived",
                                               "reason": reason, "user": current_user()}))
        return self.get_model_version(name, int(version))

    def restore_model_version(self, name: str, version: int, *, reason: str | None = None) -> ModelVersion:
        """Undo ``archive_model_version``."""
        self._write(Op("set_version_status", {"name": name, "version": int(version), "status": "ready",
                                               "reason": reason, "user": current_user()}))
        return self.get_model_version(name, int(version))

    def set_model_description(self, name: str, description: str, version: int | None = None, *,
                              reason: str | None = None) -> None:
        """Describe a model (or one version with ``version=``); the change is recorded."""
        self._write(Op("set_description", {"name": name, "version": version, "description": description,
                                            "reason": reason, "user": current_user()}))

    # ------------------------------------------------------------ promotion rules

    def set_promotion_rule(self, name: str, rule: PromotionRule | str | None = None, *, metric: str | None = None,
                           op: str | None = None, threshold: float | None = None, higher_is_better: bool = True,
                           min_delta: float = 0.0, alias: str = "production",
                           reason: str | None = None, severity: str | None = None) -> PromotionRule:
        """Guard ``alias`` of ``name`` with a rule; a rule of the same kind and metric is replaced.

        Either pass a ``PromotionRule``, or its kind and fields::

            set_promotion_rule("churn", "metric_threshold", metric="val_auc", op=">=", threshold=0.9)
            set_promotion_rule("churn", "beats_current", metric="val_auc")
            set_promotion_rule("churn", "checks_passed")
            set_promotion_rule("churn", "scan_passed", severity="medium")   # no scan finding at medium or above
        """
        if not isinstance(rule, PromotionRule):
            rule = PromotionRule(kind=rule or ("metric_threshold" if threshold is not None else "beats_current"),
                                 metric=metric, op=op or (">=" if threshold is not None else None),
                                 threshold=threshold, higher_is_better=higher_is_better, min_delta=min_delta,
                                 alias=alias, severity=severity)
        check_alias(rule.alias)
        stored = self._write(Op("set_promotion_rule", {"name": name, "rule": rule.to_dict(), "reason": reason,
                                                       "user": current_user()}))[0]
        return PromotionRule.from_dict(stored)

    def promotion_rules(self, name: str, alias: str | None = None) -> list[PromotionRule]:
        """The rules guarding ``name``'s aliases (or one alias)."""
        return [PromotionRule.from_dict(r) for r in self.store.read("promotion_rules", name=name, alias=alias)]

    def delete_promotion_rule(self, name: str, rule_id: str, *, alias: str = "production",
                              reason: str | None = None) -> None:
        """Remove a rule by its id (``kind`` or ``kind:metric``, see ``PromotionRule.rule_id``)."""
        self._write(Op("delete_promotion_rule", {"name": name, "alias": alias, "rule_id": rule_id, "reason": reason,
                                                 "user": current_user()}))

    # ------------------------------------------------------------ resolving, loading, exporting

    def _resolve(self, uri: str) -> ResolvedModel:
        parsed = parse_model_uri(uri)
        if parsed.kind == "models":
            version = self.get_model_version(str(parsed.name), parsed.version, alias=parsed.alias)
            if version.manifest_sha256:
                manifest = _model_package().read_manifest(self.store.read_blob(version.manifest_sha256))
            else:  # pragma: no cover - every version we write has a manifest
                raise NotFoundError(f"{version.uri} has no manifest in the store")
            if manifest["sha256"] != version.sha256:
                raise IntegrityError(f"{version.uri}: its manifest names model file {manifest['sha256']}, but the "
                                     f"registry recorded {version.sha256}", expected=version.sha256,
                                     actual=manifest["sha256"])
            return ResolvedModel(str(uri), manifest, version.sha256, version, version.run_id)
        if parsed.kind == "runs":
            run = self.get_run(str(parsed.run_id))
            wanted = f"{parsed.artifact_path}/{_model_package().MANIFEST_FILE}"
            recorded = {artifact.path: artifact.sha256 for artifact in run.artifacts}
            if wanted in recorded:
                manifest = _model_package().read_manifest(self.store.read_blob(recorded[wanted]))
                # the run's own record of the model file is the reference, not the sha256 its manifest names
                model_path = f"{parsed.artifact_path}/{manifest['model_file']}"
                if recorded.get(model_path) != manifest["sha256"]:
                    raise IntegrityError(
                        f"runs:/{run.id}/{parsed.artifact_path}: its {_model_package().MANIFEST_FILE} names model file "
                        f"{manifest['sha256']}, but the run recorded {recorded.get(model_path)} as {model_path}; "
                        "refusing to load it. Log the model again.",
                        expected=recorded.get(model_path), actual=manifest["sha256"])
                return ResolvedModel(str(uri), manifest, str(recorded[model_path]), None, run.id)
            raise NotFoundError(f"run {run.id} has no model at {parsed.artifact_path!r} (no {wanted} artifact); "
                                "log one with mlm.log_model", run_id=run.id)
        raise InvalidInputError(f"{uri!r} is a local path, not a store URI")

    def load_model(self, uri: str | os.PathLike[str], *, trust_pickle: bool = False,
                   trusted_types: Sequence[str] = ()) -> Any:
        """Load a model after verifying its sha256; the load is recorded (which version, who, where).

        Args:
            uri: ``models:/name@alias``, ``models:/name/3``, ``runs:/<run_id>/model`` or an exported directory.
            trust_pickle: allow a pickle-flavor model (reading a pickle can run arbitrary code).
            trusted_types: extra types a skops file may create beyond scikit-learn's own.

        Raises:
            IntegrityError: the stored bytes do not match the registered sha256.
            UntrustedModelError: a pickle without ``trust_pickle=True`` or a skops file with untrusted types.
        """
        if parse_model_uri(uri).kind == "path":
            return _model_export().load_model_dir(uri, trust_pickle=trust_pickle, trusted_types=trusted_types)
        return self.load_resolved(str(uri), trust_pickle=trust_pickle, trusted_types=trusted_types)[0]

    def load_resolved(self, uri: str | os.PathLike[str], *, trust_pickle: bool = False,
                      trusted_types: Sequence[str] = ()) -> tuple[Any, ResolvedModel]:
        """``load_model`` that also says what it loaded (version, sha256, manifest): for model servers.

        Same checks as ``load_model``: the bytes must hash to the sha256 the store recorded before
        anything is deserialised, pickle needs ``trust_pickle``, skops trusts only ``trusted_types`` extra.
        """
        if parse_model_uri(uri).kind == "path":
            manifest, data = _model_export().read_model_dir(uri)
            model = _model_package().deserialise(data, manifest, trust_pickle=trust_pickle, trusted_types=trusted_types)
            return model, ResolvedModel(str(uri), manifest, str(manifest["sha256"]), None, manifest.get("run_id"))
        resolved = self._resolve(str(uri))
        data = self.store.read_blob(resolved.sha256)
        model = _model_package().deserialise(data, resolved.manifest, expected_sha256=resolved.sha256, trust_pickle=trust_pickle,
                            trusted_types=trusted_types)
        self._record_load(resolved)
        return model, resolved

    def _record_load(self, resolved: ResolvedModel) -> None:
        me = this_process()
        version = resolved.version
        try:
            self._write(Op("record_model_load", {
                "time": time.time(), "user": current_user(), "name": version.name if version else None,
                "version": version.version if version else None, "run_id": resolved.run_id,
                "sha256": resolved.sha256, "uri": resolved.uri, "host": me.host, "pid": me.pid}))
        except MlmError:  # the model is loaded; a store that cannot take the record must not undo that
            pass

    def model_card(self, name: str, version: int | str | None = None) -> str:
        """The model card (markdown) of a version, rendered from what the store knows now."""
        model_version = self.get_model_version(name, version)
        manifest = _model_package().read_manifest(self.store.read_blob(model_version.manifest_sha256)) \
            if model_version.manifest_sha256 else {}
        return self._render_card(model_version, manifest)

    def _render_card(self, version: ModelVersion, manifest: Mapping[str, Any], title: str | None = None) -> str:
        run = None
        checks: list[dict[str, Any]] = []
        if version.run_id:
            try:
                run = self.get_run(version.run_id)
                checks = list(self.store.read("registry_run_checks", run_id=version.run_id))
            except NotFoundError:
                run = None
        card: str = _model_card().render_model_card(version, run, manifest, checks, title=title)
        return card

    def export_model(self, uri: str, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the model at ``uri`` as a self-contained directory that ``load_model(path)`` reads without a store.

        The model file is verified against its sha256 before it is written.
        """
        from mlm_jupyter.core.progress import progress

        with progress(3, f"exporting {uri}", unit="step") as bar:  # read and verify, model card, write
            return self._export_model(uri, path, overwrite, bar)

    def _export_model(self, uri: str, path: str | os.PathLike[str], overwrite: bool, bar: Any) -> Path:
        resolved = self._resolve(str(uri))
        data = self.store.read_blob(resolved.sha256)
        bar.update(1)
        manifest = dict(resolved.manifest)
        if resolved.version is not None:
            version = resolved.version
            manifest["model"] = {"name": version.name, "version": version.version, "aliases": list(version.aliases),
                                 "uri": version.uri}
            card = self._render_card(version, manifest)
        else:
            unregistered = ModelVersion.from_record({
                "name": "unregistered", "version": 0, "run_id": resolved.run_id, "sha256": resolved.sha256,
                "flavor": manifest["flavor"], "signature": manifest.get("signature"), "size": manifest.get("size"),
                "requirements": manifest.get("requirements"), "source": resolved.uri})
            card = self._render_card(unregistered, manifest, title=f"{resolved.uri} (not registered)")
        manifest["sha256_proves"] = _model_package().SHA256_PROVES
        card = f"{card.rstrip()}\n\n## What this folder proves\n\nIts sha256 proves {_model_package().SHA256_PROVES}.\n"
        bar.update(1)
        written: Path = _model_export().write_model_dir(path, data, manifest, card, overwrite=overwrite)
        bar.update(1)
        return written


def _version_number(version: Any) -> int:
    """A model version as an int (3, '3', 'v3'), else an ``InvalidInputError`` (was a bare ValueError)."""
    text = version.strip().lower().removeprefix("v") if isinstance(version, str) else version
    try:
        number = int(text)
        if isinstance(version, float) and number != version:
            raise ValueError(version)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(f"a model version is a whole number such as 3 (or '3', 'v3'), not {version!r:.40}; "
                                "see mlm.model_versions(name)") from None
    return number
