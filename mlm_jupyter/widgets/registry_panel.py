"""The registry panel widget: ``mlm.registry()`` -- the shared registry view (promotion with a reason, audit trail)."""

from __future__ import annotations

from typing import Any

import traitlets

from mlm_jupyter.core.errors import InvalidInputError, MlmError, NotFoundError
from mlm_jupyter.widgets.fallback import cell_text, html_table, text_table
from mlm_jupyter.widgets.widget_base import MlmWidget

__all__ = ["RegistryPanel", "registry"]

MAX_VERSIONS = 100
MAX_METRICS = 6


def _epoch(moment: Any) -> float | None:
    return None if moment is None else float(moment.timestamp())


class RegistryPanel(MlmWidget):
    """Models, their versions and aliases; promote or archive with a reason (see ``registry``).

    The view's Promote button calls ``client.set_alias(...)`` through ``promote``;
    a refused promotion (no reason, a failed gate) is shown under the form, which
    keeps what the user chose. ``archive`` and ``restore`` are Python methods.
    """

    view = traitlets.Unicode("registry").tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)  # bumped on each re-read: the view reloads
    model_name = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    models = traitlets.List().tag(sync=True)
    versions = traitlets.List().tag(sync=True)
    history = traitlets.List().tag(sync=True)
    rules = traitlets.List().tag(sync=True)

    def __init__(self, name: str | None = None, *, client: Any = None) -> None:
        super().__init__(client=client)
        self.observe(lambda change: self._load_model(), names=["model_name"])
        self.refresh()
        if name is not None:
            self.select(name)
        elif self.models:
            self.select(self.models[0]["name"])

    def _calls(self) -> dict[str, Any]:
        return {"models": lambda: self.models, "model": self._detail, "history": self._history,
                "promote": self._promote_from_view}

    def _detail(self, name: str) -> dict[str, Any]:
        self.select(name)
        model = next((m for m in self.models if m["name"] == name), {})
        return {"name": name, "aliases": model.get("aliases", {}), "versions": self.versions, "rules": self.rules}

    def _history(self, name: str) -> list[dict[str, Any]]:
        if name != self.model_name:
            self.select(name)
        else:
            self._read_history(name)
        return list(reversed(self.history))  # oldest first, as the REST API sends it

    def _promote_from_view(self, name: str, alias: str, version: int, reason: str) -> Any:
        self.select(name)
        try:
            return self.promote(version, alias, reason)
        except MlmError:
            self.refresh()  # a blocked promotion is in the audit trail too
            raise

    # ------------------------------------------------------------ reads

    def refresh(self) -> None:
        """Read the models (and the selected model's versions and history) again."""
        self.models = [{"name": m.name, "latest_version": m.latest_version, "versions": m.versions,
                        "aliases": dict(m.aliases), "description": m.description or ""}
                       for m in self.client.models()]
        if self.model_name:
            self._load_model()
        self.revision += 1

    def select(self, name: str) -> None:
        """Show model ``name``."""
        if name not in {m["name"] for m in self.models}:
            self.refresh()
            if name not in {m["name"] for m in self.models}:
                raise NotFoundError(f"no registered model {name!r}; known: "
                                    f"{', '.join(m['name'] for m in self.models) or 'none yet'}")
        if self.model_name == name:
            self._load_model()
        else:
            self.model_name = name

    def _load_model(self) -> None:
        name = self.model_name
        if not name:
            self.versions, self.history, self.rules = [], [], []
            return
        versions = self.client.model_versions(name)[-MAX_VERSIONS:]
        with self.hold_trait_notifications():
            self.versions = [self._version_record(v) for v in reversed(versions)]
            self._read_history(name)
            try:
                self.rules = [_rule_text(r) for r in self.client.promotion_rules(name)]
            except (AttributeError, MlmError):
                self.rules = []

    def _read_history(self, name: str) -> None:
        self.history = [{"time": _epoch(e.time), "user": e.user, "action": e.action, "version": e.version,
                         "alias": e.alias, "from": e.from_value, "to": e.to_value, "reason": e.reason,
                         "forced": e.forced} for e in reversed(self.client.model_events(name))]

    def _version_record(self, version: Any) -> dict[str, Any]:
        lineage: dict[str, Any] = {}
        if version.run_id:
            try:
                run = self.client.get_run(version.run_id)
            except NotFoundError:
                lineage = {"run": version.run_id[:8] + " (deleted)"}
            else:
                lineage = {"run": run.name, "run_id": run.id, "experiment": run.experiment,
                           "data": [f"{i.name}@{_digest(i.fingerprint)[:8]}" for i in run.inputs],
                           "notebook": (run.cell or {}).get("notebook")}
        metrics = dict(list(version.metrics.items())[:MAX_METRICS])
        return {"version": version.version, "status": version.status, "flavor": version.flavor,
                "aliases": list(version.aliases), "metrics": metrics, "run_id": version.run_id,
                "created_at": _epoch(version.created_at), "created_by": version.created_by, "lineage": lineage}

    # ------------------------------------------------------------ actions (really call the registry)

    def promote(self, version: int, alias: str = "production", reason: str = "", force: bool = False) -> Any:
        """Point ``alias`` at ``version`` with a reason (required), through the registry's promotion gates.

        Raises:
            InvalidInputError: no reason given.
            PromotionBlockedError: a promotion rule failed (the panel shows the message).
        """
        name = self._require_model()
        if _is_number(alias) and not _is_number(version):  # promote("production", 3), set_alias's order
            version, alias = alias, version
        number = _version_number(version)
        if not str(reason or "").strip():
            raise InvalidInputError("a promotion needs a reason: say why this version should serve "
                                    f"as {name}@{alias}")
        result = self.client.set_alias(name, str(alias).strip(), number, reason=str(reason).strip(),
                                       force=bool(force))
        self.refresh()
        return result

    def archive(self, version: int, reason: str = "") -> Any:
        """Archive ``version`` with a reason (required)."""
        name = self._require_model()
        number = _version_number(version)
        if not str(reason or "").strip():
            raise InvalidInputError(f"archiving {name} v{number} needs a reason")
        result = self.client.archive_model_version(name, number, reason=str(reason).strip())
        self.message = {"kind": "ok", "text": f"{name} v{number} archived"}
        self.refresh()
        return result

    def restore(self, version: int, reason: str = "") -> Any:
        """Undo ``archive``."""
        name = self._require_model()
        number = _version_number(version)
        result = self.client.restore_model_version(name, number, reason=str(reason or "").strip() or None)
        self.message = {"kind": "ok", "text": f"{name} v{number} restored"}
        self.refresh()
        return result

    def _require_model(self) -> str:
        if not self.model_name:
            raise InvalidInputError("choose a model first")
        return self.model_name

    # ------------------------------------------------------------ static fallback

    def _version_rows(self) -> list[list[Any]]:
        return [[f"v{v['version']}", v["status"], " ".join(f"@{a}" for a in v["aliases"]),
                 ", ".join(f"{k}={cell_text(x)}" for k, x in v["metrics"].items()),
                 " / ".join(str(x) for x in (v["lineage"].get("experiment"), v["lineage"].get("run")) if x)]
                for v in self.versions]

    def _history_rows(self) -> list[list[Any]]:
        return [[cell_text(_utc(h["time"])), h["user"], h["action"], h["version"], h["alias"],
                 f"{h['from'] or ''} -> {h['to'] or ''}" if h["from"] or h["to"] else "", h["reason"]]
                for h in self.history]

    def fallback_html(self) -> str:
        models = html_table(["model", "latest", "versions", "aliases"],
                            [[m["name"], m["latest_version"], m["versions"],
                              " ".join(f"@{a}=v{v}" for a, v in m["aliases"].items())] for m in self.models],
                            caption="Registered models")
        if not self.model_name:
            return models
        versions = html_table(["version", "status", "aliases", "metrics", "lineage"], self._version_rows(),
                              caption=f"{self.model_name}: versions")
        history = html_table(["time", "user", "action", "version", "alias", "change", "reason"],
                             self._history_rows(), caption=f"{self.model_name}: audit trail")
        return models + versions + history

    def fallback_text(self) -> str:
        lines = [f"RegistryPanel: {len(self.models)} models"]
        if self.model_name:
            lines += [f"\n{self.model_name}", text_table(["version", "status", "aliases", "metrics", "lineage"],
                                                         self._version_rows())]
        return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str)
                                                                          and value.strip().lstrip("v").isdigit())


def _version_number(version: Any) -> int:
    """``3``, ``"3"`` or ``"v3"`` -> 3; anything else is an ``InvalidInputError`` the panel shows."""
    if _is_number(version):
        return int(str(version).strip().lstrip("v"))
    raise InvalidInputError(f"a model version is a number (e.g. 3), got {version!r}")


def _digest(fingerprint: Any) -> str:
    if isinstance(fingerprint, dict):
        return str(fingerprint.get("digest") or "")
    return str(getattr(fingerprint, "digest", fingerprint or ""))


def _rule_text(rule: Any) -> str:
    describe = getattr(rule, "describe", None)
    if callable(describe):
        return str(describe())
    parts = [f"@{getattr(rule, 'alias', '')}", str(getattr(rule, "kind", ""))]
    if getattr(rule, "metric", None):
        parts.append(str(rule.metric))
    if getattr(rule, "threshold", None) is not None:
        parts.append(f"{rule.op or '>='} {rule.threshold}")
    return " ".join(parts)


def _utc(epoch: float | None) -> Any:
    from mlm_jupyter.core.entities import to_datetime

    return to_datetime(epoch)


def registry(name: str | None = None, *, client: Any = None) -> RegistryPanel:
    """The model registry panel: models, versions with metrics and lineage, alias badges,
    promote/archive buttons (a reason is required) and the audit trail.

    Args:
        name: the model to open (default: the first one).
    """
    return RegistryPanel(name, client=client)
