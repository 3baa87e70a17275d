"""The scans domain: scan reports and their per-check rows (``check_results``), written in one transaction."""

from __future__ import annotations

from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.core.severity import SEVERITIES
from mlm_jupyter.store.session import Session

__all__ = ["APPLIERS", "JOURNALABLE", "READERS"]

_SCAN_COLUMNS = ("id, run_id, model_name, model_version, model_uri, task, verdict, worst_severity, fail_on, findings, "
                 "report_sha256, seconds, created_at, created_by")
_STATUSES = ("passed", "warning", "failed", "skipped")


def record_scan(s: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Store one scan: its summary row and one ``check_results`` row per check."""
    scan_id = str(args["id"])
    run_id = args.get("run_id")
    if run_id and not s.one("SELECT 1 FROM runs WHERE id = ?", [run_id]):
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)
    name, version = args.get("model_name"), args.get("model_version")
    if name is not None and not s.one("SELECT 1 FROM model_versions WHERE name = ? AND version = ?",
                                      [name, int(version or 0)]):
        raise NotFoundError(f"model {name!r} has no version {version}", name=name, version=version)
    for check in args.get("checks") or []:
        if check.get("status") not in _STATUSES or (check.get("severity") not in (None, *SEVERITIES)):
            raise InvalidInputError(f"bad check row {check!r}: status is one of {', '.join(_STATUSES)}, severity "
                                    f"one of {', '.join(SEVERITIES)} or null")
    now = float(args.get("created_at") or s.now())
    s.con.execute(
        f"INSERT INTO scan_reports ({_SCAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [scan_id, run_id, name, None if version is None else int(version), args.get("model_uri"), args["task"],
         args["verdict"], args.get("worst_severity"), args["fail_on"], int(args.get("findings") or 0),
         args["report_sha256"], args.get("seconds"), now, args.get("user")])
    for check in args.get("checks") or []:
        s.con.execute(
            "INSERT INTO check_results (scan_id, run_id, model_name, model_version, name, status, severity, findings,"
            " summary, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [scan_id, run_id, name, None if version is None else int(version), check["name"], check["status"],
             check.get("severity"), int(check.get("findings") or 0), check.get("summary"), now])
    return scan(s, scan_id)


APPLIERS = {"record_scan": record_scan}
JOURNALABLE: frozenset[str] = frozenset()


def _with_checks(s: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["checks"] = s.rows("SELECT name, status, severity, findings, summary FROM check_results "
                               "WHERE scan_id = ? ORDER BY name", [row["id"]])
    return rows


def scan(s: Session, scan_id: str) -> dict[str, Any]:
    rows = s.rows(f"SELECT {_SCAN_COLUMNS} FROM scan_reports WHERE id = ?", [scan_id])
    if not rows:
        raise NotFoundError(f"no scan with id {scan_id!r}; see mlm.scan_reports()", scan_id=scan_id)
    return _with_checks(s, rows)[0]


def scans(s: Session, run_id: str | None = None, name: str | None = None, version: int | None = None,
          limit: int = 100) -> list[dict[str, Any]]:
    """Scans newest first, filtered by run and/or model (and version)."""
    sql = f"SELECT {_SCAN_COLUMNS} FROM scan_reports WHERE true"
    params: list[Any] = []
    if run_id is not None:
        sql += " AND run_id = ?"
        params.append(run_id)
    if name is not None:
        sql += " AND model_name = ?"
        params.append(name)
    if version is not None:
        sql += " AND model_version = ?"
        params.append(int(version))
    return _with_checks(s, s.rows(sql + " ORDER BY created_at DESC, id LIMIT ?", [*params, int(limit)]))


def latest_scan_id(s: Session, name: str | None, version: int | None, run_id: str | None) -> str | None:
    """The scan the gate judges a version by: its own latest scan, else the latest scan of its run."""
    if name is not None and version is not None:
        row = s.one("SELECT id FROM scan_reports WHERE model_name = ? AND model_version = ? "
                    "ORDER BY created_at DESC, id LIMIT 1", [name, int(version)])
        if row:
            return str(row[0])
    if run_id:
        row = s.one("SELECT id FROM scan_reports WHERE run_id = ? ORDER BY created_at DESC, id LIMIT 1", [run_id])
        if row:
            return str(row[0])
    return None


def version_scan(s: Session, name: str, version: int) -> dict[str, Any] | None:
    """The latest scan of a version (or of its run), ``None`` when it was never scanned."""
    found = s.rows("SELECT run_id FROM model_versions WHERE name = ? AND version = ?", [name, int(version)])
    if not found:
        raise NotFoundError(f"model {name!r} has no version {version}; see mlm.model_versions({name!r})",
                            name=name, version=version)
    scan_id = latest_scan_id(s, name, int(version), found[0]["run_id"])
    return scan(s, scan_id) if scan_id else None


def model_scans(s: Session, name: str) -> list[dict[str, Any]]:
    """One entry per version of ``name``: its latest scan's verdict (``None`` when never scanned)."""
    versions = s.rows("SELECT version, run_id FROM model_versions WHERE name = ? ORDER BY version", [name])
    if not versions and not s.one("SELECT 1 FROM registered_models WHERE name = ?", [name]):
        raise NotFoundError(f"no registered model named {name!r}; see mlm.models() for the names", name=name)
    out = []
    for row in versions:
        scan_id = latest_scan_id(s, name, int(row["version"]), row["run_id"])
        summary = scan(s, scan_id) if scan_id else None
        out.append({"version": int(row["version"]), "scan": summary})
    return out


READERS = {"scan": scan, "scans": scans, "version_scan": version_scan, "model_scans": model_scans}
