"""The registry domain: model versions, aliases, promotion gates, the audit trail and model loads.

Every change appends a row to ``registry_events`` in the same transaction;
no operation here updates or deletes an event. Version numbers are assigned
inside the write transaction (``max + 1`` under the store's single writer,
with the primary key as a backstop), so concurrent registrations from two
processes get distinct numbers. Promotion gates are evaluated inside the
transaction that moves the alias, against the metrics the store holds then.
"""

from __future__ import annotations

import json
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.core.model_entities import check_alias, check_model_name
from mlm_jupyter.core.promotion import PromotionRule, evaluate_rules
from mlm_jupyter.store.session import Session
from mlm_jupyter.store.stamping import identity_provider

__all__ = ["APPLIERS", "JOURNALABLE", "READERS"]

_VERSION_COLUMNS = (
    "name, version, run_id, sha256, size, flavor, signature, requirements, manifest_sha256, card_sha256, "
    "source, status, description, created_at, created_by")


# ---------------------------------------------------------------- helpers

def _event(s: Session, args: dict[str, Any], model: str, action: str, *, version: int | None = None,
           alias: str | None = None, from_value: Any = None, to_value: Any = None, reason: str | None = None,
           forced: bool = False, details: dict[str, Any] | None = None) -> None:
    s.con.execute(
        "INSERT INTO registry_events (time, user_name, model, version, action, alias, from_value, to_value,"
        " reason, forced, details, identity_provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [s.now(), args.get("user"), model, version, action, alias,
         None if from_value is None else str(from_value), None if to_value is None else str(to_value),
         reason, forced, json.dumps(details) if details else None, identity_provider(args)])


def _require_model(s: Session, name: str) -> None:
    if not s.one("SELECT 1 FROM registered_models WHERE name = ?", [name]):
        raise NotFoundError(f"no registered model named {name!r}; see mlm.models() for the names", name=name)


def _version_row(s: Session, name: str, version: int) -> dict[str, Any]:
    rows = s.rows(f"SELECT {_VERSION_COLUMNS} FROM model_versions WHERE name = ? AND version = ?",
                  [name, int(version)])
    if not rows:
        _require_model(s, name)
        raise NotFoundError(f"model {name!r} has no version {version}; see mlm.model_versions({name!r})",
                            name=name, version=version)
    return rows[0]


def _touch(s: Session, name: str) -> None:
    s.con.execute("UPDATE registered_models SET updated_at = ? WHERE name = ?", [s.now(), name])


def _run_metrics(s: Session, run_id: str | None) -> dict[str, float]:
    if not run_id:
        return {}
    return {str(k): float(v) for k, v in s.con.execute(
        "SELECT key, value FROM latest_metrics WHERE run_id = ?", [run_id]).fetchall()}


def _has_table(s: Session, table: str) -> bool:
    return bool(s.one("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [table]))


def _run_checks(s: Session, run_id: str | None, name: str | None = None,
                version: int | None = None) -> list[dict[str, Any]] | None:
    """Check results of a version: its latest model scan's ``check_results`` (the version's own scan, else
    its run's), else the run's ``checks.*`` tags."""
    if _has_table(s, "scan_reports"):
        from mlm_jupyter.store.domains.scans import latest_scan_id

        scan_id = latest_scan_id(s, name, version, run_id)
        if scan_id is not None:
            rows = s.rows("SELECT name, status, severity, scan_id FROM check_results WHERE scan_id = ? "
                          "ORDER BY name", [scan_id])
            if rows:
                return rows
    if not run_id:
        return None
    tagged = s.rows("SELECT key, value FROM tags WHERE run_id = ? AND key LIKE 'checks.%' ORDER BY key", [run_id])
    return [{"name": r["key"][len("checks."):], "status": r["value"]} for r in tagged] or None


# ---------------------------------------------------------------- writes

def create_model_version(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Register a new version of ``name``; the number is the next one inside this transaction."""
    name = check_model_name(args["name"])
    run_id = args.get("run_id")
    if run_id and not s.one("SELECT 1 FROM runs WHERE id = ?", [run_id]):
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)
    now = s.now()
    if not s.one("SELECT 1 FROM registered_models WHERE name = ?", [name]):
        s.con.execute("INSERT INTO registered_models VALUES (?, ?, ?, ?, ?)",
                      [name, args.get("model_description"), now, now, args.get("user")])
    else:
        _touch(s, name)
    row = s.one("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE name = ?", [name])
    version = int(row[0]) if row else 1
    s.con.execute(
        f"INSERT INTO model_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ready', ?, ?, ?)",
        [name, version, run_id, args["sha256"], args.get("size"), args["flavor"],
         json.dumps(args.get("signature")) if args.get("signature") else None,
         json.dumps(list(args.get("requirements") or [])), args.get("manifest_sha256"), args.get("card_sha256"),
         args.get("source"), args.get("description"), now, args.get("user")])
    _event(s, args, name, "version_created", version=version, to_value=version, reason=args.get("reason"),
           details={"run_id": run_id, "sha256": args["sha256"], "flavor": args["flavor"], "source": args.get("source")})
    return model_version(s, name, version=version)


def set_model_card(s: Session, args: dict[str, Any]) -> None:
    _version_row(s, args["name"], args["version"])
    s.con.execute("UPDATE model_versions SET card_sha256 = ? WHERE name = ? AND version = ?",
                  [args["card_sha256"], args["name"], int(args["version"])])


def set_alias(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Point ``alias`` at ``version`` after the alias's promotion rules pass (or ``force``)."""
    name, alias, version = args["name"], check_alias(args["alias"]), int(args["version"])
    target = _version_row(s, name, version)
    if target["status"] == "archived":
        raise InvalidInputError(f"{name} v{version} is archived; restore it before pointing '{alias}' at it",
                                name=name, version=version)
    current = s.one("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", [name, alias])
    previous = int(current[0]) if current else None
    if previous == version:
        return {"status": "unchanged", "from": previous, "to": version, "failures": []}
    rules = [PromotionRule.from_dict(json.loads(r[0])) for r in s.con.execute(
        "SELECT rule FROM promotion_rules WHERE name = ? AND alias = ? ORDER BY rule_id", [name, alias]).fetchall()]
    failures = []
    if rules:
        holder_run = _version_row(s, name, previous)["run_id"] if previous is not None else None
        failures = evaluate_rules(
            rules, candidate=f"{name} v{version}", metrics=_run_metrics(s, target["run_id"]),
            holder=f"v{previous}" if previous is not None else None, holder_metrics=_run_metrics(s, holder_run),
            checks=_run_checks(s, target["run_id"], name, version))
    force = bool(args.get("force"))
    reason = args.get("reason")
    details: dict[str, Any] = {"failures": [f.to_dict() for f in failures]} if failures else {}
    if failures and not force:
        _event(s, args, name, "promotion_blocked", version=version, alias=alias, from_value=previous,
               to_value=version, reason=reason, details=details)
        return {"status": "blocked", "from": previous, "to": version, "failures": [f.to_dict() for f in failures]}
    if force and not reason:
        raise InvalidInputError("force=True overrides the promotion rules and needs a reason= for the audit trail")
    now = s.now()
    if previous is None:
        s.con.execute("INSERT INTO model_aliases VALUES (?, ?, ?, ?, ?)", [name, alias, version, now, args.get("user")])
    else:
        s.con.execute("UPDATE model_aliases SET version = ?, set_at = ?, set_by = ? WHERE name = ? AND alias = ?",
                      [version, now, args.get("user"), name, alias])
    _touch(s, name)
    action = "alias_set" if previous is None else "alias_moved"
    _event(s, args, name, action, version=version, alias=alias, from_value=previous, to_value=version,
           reason=reason, forced=force, details=details)
    return {"status": "forced" if failures else ("set" if previous is None else "moved"), "from": previous,
            "to": version, "failures": [f.to_dict() for f in failures]}


def delete_alias(s: Session, args: dict[str, Any]) -> int | None:
    name, alias = args["name"], args["alias"]
    _require_model(s, name)
    current = s.one("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", [name, alias])
    if current is None:
        raise NotFoundError(f"model {name!r} has no alias {alias!r}", name=name, alias=alias)
    s.con.execute("DELETE FROM model_aliases WHERE name = ? AND alias = ?", [name, alias])
    _touch(s, name)
    _event(s, args, name, "alias_removed", version=int(current[0]), alias=alias, from_value=current[0],
           reason=args.get("reason"))
    return int(current[0])


def set_version_status(s: Session, args: dict[str, Any]) -> str:
    """Archive (``status="archived"``) or restore (``"ready"``) a version."""
    name, version, status = args["name"], int(args["version"]), str(args["status"])
    if status not in ("ready", "archived"):
        raise InvalidInputError(f"a model version is 'ready' or 'archived', not {status!r}")
    row = _version_row(s, name, version)
    if row["status"] == status:
        return status
    if status == "archived":
        held = [r[0] for r in s.con.execute(
            "SELECT alias FROM model_aliases WHERE name = ? AND version = ? ORDER BY alias", [name, version]).fetchall()]
        if held:
            raise InvalidInputError(
                f"{name} v{version} is what {', '.join(repr(a) for a in held)} points to; move or delete "
                "those aliases before archiving it", name=name, version=version, aliases=held)
    s.con.execute("UPDATE model_versions SET status = ? WHERE name = ? AND version = ?", [status, name, version])
    _touch(s, name)
    _event(s, args, name, "version_archived" if status == "archived" else "version_restored", version=version,
           from_value=row["status"], to_value=status, reason=args.get("reason"))
    return status


def set_description(s: Session, args: dict[str, Any]) -> None:
    """Change the description of a model (``version`` absent) or of one version."""
    name, version, text = args["name"], args.get("version"), args.get("description")
    if version is None:
        _require_model(s, name)
        old = s.one("SELECT description FROM registered_models WHERE name = ?", [name])
        s.con.execute("UPDATE registered_models SET description = ?, updated_at = ? WHERE name = ?",
                      [text, s.now(), name])
    else:
        old = (_version_row(s, name, int(version))["description"],)
        s.con.execute("UPDATE model_versions SET description = ? WHERE name = ? AND version = ?",
                      [text, name, int(version)])
        _touch(s, name)
    _event(s, args, name, "description_changed", version=None if version is None else int(version),
           from_value=old[0] if old else None, to_value=text, reason=args.get("reason"))


def set_promotion_rule(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    name = args["name"]
    _require_model(s, name)
    rule = PromotionRule.from_dict(args["rule"])
    check_alias(rule.alias)
    old = s.one("SELECT rule FROM promotion_rules WHERE name = ? AND alias = ? AND rule_id = ?",
                [name, rule.alias, rule.rule_id])
    if old:
        s.con.execute("UPDATE promotion_rules SET rule = ?, created_at = ?, created_by = ? "
                      "WHERE name = ? AND alias = ? AND rule_id = ?",
                      [json.dumps(rule.to_dict()), s.now(), args.get("user"), name, rule.alias, rule.rule_id])
    else:
        s.con.execute("INSERT INTO promotion_rules VALUES (?, ?, ?, ?, ?, ?)",
                      [name, rule.alias, rule.rule_id, json.dumps(rule.to_dict()), s.now(), args.get("user")])
    _event(s, args, name, "rule_set", alias=rule.alias,
           from_value=PromotionRule.from_dict(json.loads(old[0])).describe() if old else None,
           to_value=rule.describe(), reason=args.get("reason"), details={"rule": rule.to_dict()})
    return {**rule.to_dict(), "rule_id": rule.rule_id}


def delete_promotion_rule(s: Session, args: dict[str, Any]) -> None:
    name, alias, rule_id = args["name"], args["alias"], args["rule_id"]
    old = s.one("SELECT rule FROM promotion_rules WHERE name = ? AND alias = ? AND rule_id = ?", [name, alias, rule_id])
    if old is None:
        raise NotFoundError(f"model {name!r} has no promotion rule {rule_id!r} on alias {alias!r}",
                            name=name, alias=alias, rule_id=rule_id)
    s.con.execute("DELETE FROM promotion_rules WHERE name = ? AND alias = ? AND rule_id = ?", [name, alias, rule_id])
    _event(s, args, name, "rule_removed", alias=alias,
           from_value=PromotionRule.from_dict(json.loads(old[0])).describe(), reason=args.get("reason"))


def create_registered_model(s: Session, args: dict[str, Any]) -> None:
    """An empty registered model (MLflow's ``create_registered_model``); refused if the name is taken."""
    name = check_model_name(args["name"])
    if s.one("SELECT 1 FROM registered_models WHERE name = ?", [name]):
        from mlm_jupyter.core.errors import AlreadyExistsError

        raise AlreadyExistsError(f"a registered model named {name!r} exists already", name=name)
    now = s.now()
    s.con.execute("INSERT INTO registered_models VALUES (?, ?, ?, ?, ?)",
                  [name, args.get("description"), now, now, args.get("user")])


def set_model_tag(s: Session, args: dict[str, Any]) -> None:
    """Set a tag on a registered model (``version`` 0 or absent) or on one of its versions."""
    name, version = args["name"], int(args.get("version") or 0)
    if version:
        _version_row(s, name, version)
    else:
        _require_model(s, name)
    s.con.execute("INSERT INTO model_tags VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) "
                  "DO UPDATE SET value = excluded.value", [name, version, str(args["key"]), str(args["value"])])
    _touch(s, name)


def delete_model_tag(s: Session, args: dict[str, Any]) -> None:
    s.con.execute("DELETE FROM model_tags WHERE name = ? AND version = ? AND key = ?",
                  [args["name"], int(args.get("version") or 0), str(args["key"])])


def record_model_load(s: Session, args: dict[str, Any]) -> None:
    s.con.execute("INSERT INTO model_loads (time, user_name, model, version, run_id, sha256, uri, host, pid, "
                  "identity_provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [args.get("time", s.now()), args.get("user"), args.get("name"), args.get("version"),
                   args.get("run_id"), args["sha256"], args["uri"], args.get("host"), args.get("pid"),
                   identity_provider(args)])


APPLIERS = {
    "create_model_version": create_model_version,
    "set_model_card": set_model_card,
    "set_alias": set_alias,
    "delete_alias": delete_alias,
    "set_version_status": set_version_status,
    "set_description": set_description,
    "set_promotion_rule": set_promotion_rule,
    "delete_promotion_rule": delete_promotion_rule,
    "record_model_load": record_model_load,
    "create_registered_model": create_registered_model,
    "set_model_tag": set_model_tag,
    "delete_model_tag": delete_model_tag,
}
JOURNALABLE = frozenset({"record_model_load"})


# ---------------------------------------------------------------- reads

def _with_aliases(s: Session, rows: list[dict[str, Any]], with_metrics: bool = False) -> list[dict[str, Any]]:
    if not rows:
        return rows
    names = sorted({r["name"] for r in rows})
    aliases: dict[tuple[str, int], list[str]] = {}
    for alias_name, alias, version in s.con.execute(
            "SELECT name, alias, version FROM model_aliases WHERE list_contains(?, name) ORDER BY alias",
            [names]).fetchall():
        aliases.setdefault((alias_name, int(version)), []).append(alias)
    for row in rows:
        row["aliases"] = aliases.get((row["name"], int(row["version"])), [])
        if with_metrics:
            row["metrics"] = _run_metrics(s, row["run_id"])
    return rows


def registered_models(s: Session) -> list[dict[str, Any]]:
    models = s.rows(
        "SELECT m.name, m.description, m.created_at, m.updated_at, max(v.version) AS latest_version, "
        "count(v.version) AS versions FROM registered_models m LEFT JOIN model_versions v ON v.name = m.name "
        "GROUP BY m.name, m.description, m.created_at, m.updated_at ORDER BY m.name")
    aliases: dict[str, dict[str, int]] = {}
    for name, alias, version in s.con.execute(
            "SELECT name, alias, version FROM model_aliases ORDER BY name, alias").fetchall():
        aliases.setdefault(name, {})[alias] = int(version)
    for model in models:
        model["aliases"] = aliases.get(model["name"], {})
    return models


def model_versions(s: Session, name: str, include_archived: bool = True) -> list[dict[str, Any]]:
    _require_model(s, name)
    sql = f"SELECT {_VERSION_COLUMNS} FROM model_versions WHERE name = ?"
    if not include_archived:
        sql += " AND status <> 'archived'"
    return _with_aliases(s, s.rows(sql + " ORDER BY version", [name]), with_metrics=True)


def model_version(s: Session, name: str, version: int | None = None, alias: str | None = None) -> dict[str, Any]:
    """One version by number, by alias, or (``alias="latest"``) the newest non-archived one."""
    if version is None:
        if alias is None or alias == "latest":
            found = s.one("SELECT max(version) FROM model_versions WHERE name = ? AND status <> 'archived'", [name])
            if not found or found[0] is None:
                _require_model(s, name)
                raise NotFoundError(f"model {name!r} has no version that is not archived", name=name)
        else:
            found = s.one("SELECT version FROM model_aliases WHERE name = ? AND alias = ?", [name, alias])
            if not found:
                _require_model(s, name)
                known = [r[0] for r in s.con.execute(
                    "SELECT alias FROM model_aliases WHERE name = ? ORDER BY alias", [name]).fetchall()]
                raise NotFoundError(f"model {name!r} has no alias {alias!r} (aliases: {', '.join(known) or 'none'})",
                                    name=name, alias=alias)
        version = int(found[0])
    return _with_aliases(s, [_version_row(s, name, int(version))], with_metrics=True)[0]


def model_history(s: Session, name: str) -> list[dict[str, Any]]:
    _require_model(s, name)
    return s.rows("SELECT id, time, user_name, model, version, action, alias, from_value, to_value, reason, forced, "
                  "details, identity_provider FROM registry_events WHERE model = ? ORDER BY id", [name])


def promotion_rules(s: Session, name: str, alias: str | None = None) -> list[dict[str, Any]]:
    _require_model(s, name)
    sql = "SELECT alias, rule_id, rule, created_at, created_by FROM promotion_rules WHERE name = ?"
    params: list[Any] = [name]
    if alias is not None:
        sql += " AND alias = ?"
        params.append(alias)
    return [{**json.loads(r["rule"]), "rule_id": r["rule_id"], "created_at": r["created_at"],
             "created_by": r["created_by"]} for r in s.rows(sql + " ORDER BY alias, rule_id", params)]


def model_versions_of_run(s: Session, run_id: str) -> list[dict[str, Any]]:
    return _with_aliases(s, s.rows(f"SELECT {_VERSION_COLUMNS} FROM model_versions WHERE run_id = ? "
                                   "ORDER BY name, version", [run_id]))


def model_loads(s: Session, name: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    sql = "SELECT time, user_name, model, version, run_id, sha256, uri, host, pid, identity_provider FROM model_loads"
    params: list[Any] = []
    if name is not None:
        sql += " WHERE model = ?"
        params.append(name)
    return s.rows(sql + " ORDER BY time DESC LIMIT ?", [*params, int(limit)])


def run_checks(s: Session, run_id: str) -> list[dict[str, Any]]:
    return _run_checks(s, run_id) or []


def model_tags(s: Session, name: str, version: int | None = None) -> dict[str, str]:
    """Tags of a registered model (``version`` absent) or of one version."""
    rows = s.con.execute("SELECT key, value FROM model_tags WHERE name = ? AND version = ? ORDER BY key",
                         [name, int(version or 0)]).fetchall()
    return {str(k): str(v) for k, v in rows}


READERS = {
    "model_tags": model_tags,
    "registered_models": registered_models,
    "model_versions": model_versions,
    "model_version": model_version,
    "model_history": model_history,
    "promotion_rules": promotion_rules,
    "model_versions_of_run": model_versions_of_run,
    "model_loads": model_loads,
    "registry_run_checks": run_checks,
}
