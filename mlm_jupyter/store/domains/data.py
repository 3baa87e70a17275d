"""The data domain: datasets, dataset versions (one per distinct digest) and the data runs used."""

from __future__ import annotations

import json
from typing import Any

from mlm_jupyter.core.errors import InvalidInputError, NotFoundError
from mlm_jupyter.store.domains.data_lineage import lineage
from mlm_jupyter.store.session import Session

__all__ = ["APPLIERS", "JOURNALABLE", "READERS", "RUN_DETAILS"]

_VERSION_COLUMNS = ("name, version, digest, kind, shape, schema, column_digests, profile, row_sketch, source, "
                    "run_id, created_at")
DIRECTIONS = ("input", "output")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _version_for(s: Session, name: str, fingerprint: dict[str, Any], run_id: str | None,
                 source: str | None) -> tuple[int, bool]:
    """The version of ``name`` holding this digest, creating the dataset and version when new."""
    digest = str(fingerprint["digest"])
    found = s.one("SELECT version FROM dataset_versions WHERE name = ? AND digest = ? ORDER BY version LIMIT 1",
                  [name, digest])
    if found:
        if fingerprint.get("row_sketch"):  # a later log may bring the row sketch an earlier one lacked
            s.con.execute("UPDATE dataset_versions SET row_sketch = ? WHERE name = ? AND version = ? "
                          "AND row_sketch IS NULL", [_json(fingerprint["row_sketch"]), name, int(found[0])])
        return int(found[0]), False
    now = s.now()
    s.con.execute("INSERT INTO datasets VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET updated_at = ?",
                  [name, now, now, now])
    latest = s.one("SELECT coalesce(max(version), 0) FROM dataset_versions WHERE name = ?", [name])
    version = int(latest[0] if latest else 0) + 1
    s.con.execute(
        f"INSERT INTO dataset_versions ({_VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [name, version, digest, str(fingerprint.get("kind") or ""), [int(x) for x in fingerprint.get("shape") or ()],
         _json(fingerprint.get("schema") or {}), _json(fingerprint.get("columns") or {}),
         _json(fingerprint.get("profile") or {}), _json(fingerprint.get("row_sketch")), source, run_id, now])
    return version, True


def log_inputs(s: Session, args: dict[str, Any]) -> list[dict[str, Any]]:
    """Link fingerprints to a run (``run_id`` may be ``None``: version the data only).

    ``inputs``: list of {name, role, fingerprint (Fingerprint.to_dict()), direction?, source?,
    cell_id?, cell_record?}. Returns {name, version, digest, new} per input.
    """
    run_id = args.get("run_id")
    if run_id is not None and not s.one("SELECT 1 FROM runs WHERE id = ?", [run_id]):
        raise NotFoundError(f"no run with id {run_id!r} in this store", run_id=run_id)
    results: list[dict[str, Any]] = []
    rows: dict[str, list[Any]] = {k: [] for k in ("run_id", "dataset", "role", "digest", "version", "direction",
                                                  "cell_id", "cell_record", "logged_at")}
    for item in args.get("inputs") or ():
        name, role = str(item["name"]), str(item.get("role") or "input")
        direction = str(item.get("direction") or "input")
        if not name or direction not in DIRECTIONS:
            raise InvalidInputError(f"a dataset needs a non-empty name and a direction in {DIRECTIONS}",
                                    name=name, direction=direction)
        fingerprint = dict(item["fingerprint"])
        version, new = _version_for(s, name, fingerprint, run_id, item.get("source"))
        results.append({"name": name, "version": version, "digest": fingerprint["digest"], "new": new})
        if run_id is None or s.one(
                "SELECT 1 FROM run_inputs WHERE run_id = ? AND dataset = ? AND role = ? AND digest = ? "
                "AND direction = ?", [run_id, name, role, fingerprint["digest"], direction]):
            continue
        for key, value in (("run_id", run_id), ("dataset", name), ("role", role),
                           ("digest", fingerprint["digest"]), ("version", version), ("direction", direction),
                           ("cell_id", item.get("cell_id")), ("cell_record", item.get("cell_record")),
                           ("logged_at", s.now())):
            rows[key].append(value)
    if rows["run_id"]:
        import pyarrow as pa

        s.insert_table("run_inputs", pa.table(rows, schema=pa.schema([
            ("run_id", pa.string()), ("dataset", pa.string()), ("role", pa.string()), ("digest", pa.string()),
            ("version", pa.int32()), ("direction", pa.string()), ("cell_id", pa.string()),
            ("cell_record", pa.string()), ("logged_at", pa.float64())])))
    return results


APPLIERS = {"log_inputs": log_inputs}
JOURNALABLE = frozenset(APPLIERS)


# ---------------------------------------------------------------- reads

def _version_record(row: dict[str, Any]) -> dict[str, Any]:
    fingerprint = {
        "digest": row["digest"], "kind": row["kind"], "shape": list(row["shape"] or ()),
        "schema": json.loads(row["schema"] or "{}"), "columns": json.loads(row["column_digests"] or "{}"),
        "profile": json.loads(row["profile"] or "{}"),
        "row_sketch": json.loads(row["row_sketch"]) if row["row_sketch"] else None,
    }
    return {"name": row["name"], "version": int(row["version"]), "digest": row["digest"], "kind": row["kind"],
            "shape": list(row["shape"] or ()), "source": row["source"], "run_id": row["run_id"],
            "created_at": row["created_at"], "fingerprint": fingerprint}


def datasets(s: Session) -> list[dict[str, Any]]:
    """Every dataset with its versions (newest last) and how many runs used it."""
    names = s.rows("SELECT d.name, d.created_at, d.updated_at, "
                   "(SELECT count(DISTINCT run_id) FROM run_inputs i WHERE i.dataset = d.name) AS runs "
                   "FROM datasets d ORDER BY d.name")
    versions = s.rows(f"SELECT {_VERSION_COLUMNS} FROM dataset_versions ORDER BY name, version")
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in versions:
        by_name.setdefault(row["name"], []).append(_version_record(row))
    return [{**n, "versions": by_name.get(n["name"], [])} for n in names]


def dataset_versions(s: Session, name: str) -> list[dict[str, Any]]:
    """The versions of ``name``, oldest first."""
    rows = s.rows(f"SELECT {_VERSION_COLUMNS} FROM dataset_versions WHERE name = ? ORDER BY version", [name])
    if not rows and not s.one("SELECT 1 FROM datasets WHERE name = ?", [name]):
        raise NotFoundError(f"no dataset named {name!r}; see mlm.datasets() for the names", name=name)
    return [_version_record(r) for r in rows]


def dataset_version(s: Session, name: str | None = None, version: int | None = None,
                    digest: str | None = None) -> dict[str, Any]:
    """One version: by name (+ version, default latest) or by digest (a unique prefix works)."""
    if digest:
        rows = s.rows(f"SELECT {_VERSION_COLUMNS} FROM dataset_versions WHERE starts_with(digest, ?) "
                      + ("AND name = ? " if name else "") + "ORDER BY created_at LIMIT 2",
                      [digest.lower(), name] if name else [digest.lower()])
        if len({r["digest"] for r in rows}) > 1:
            raise InvalidInputError(f"digest prefix {digest!r} matches several datasets; give more characters")
    elif name:
        rows = s.rows(f"SELECT {_VERSION_COLUMNS} FROM dataset_versions WHERE name = ? "
                      + ("AND version = ? " if version is not None else "") + "ORDER BY version DESC LIMIT 1",
                      [name, int(version)] if version is not None else [name])
    else:
        raise InvalidInputError("give a dataset name or a digest")
    if not rows:
        what = f"digest {digest!r}" if digest else f"{name!r}" + (f" version {version}" if version else "")
        raise NotFoundError(f"no dataset version with {what}; see mlm.datasets()", name=name, digest=digest)
    return _version_record(rows[0])


def run_inputs(s: Session, run_id: str) -> list[dict[str, Any]]:
    """Data a run used or produced, with full fingerprints."""
    rows = s.rows(
        f"SELECT i.dataset, i.role, i.direction, i.digest, i.version AS input_version, i.cell_id, i.cell_record, "
        f"v.{_VERSION_COLUMNS.replace(', ', ', v.')} FROM run_inputs i LEFT JOIN dataset_versions v "
        "ON v.name = i.dataset AND v.version = i.version WHERE i.run_id = ? ORDER BY i.logged_at, i.dataset",
        [run_id])
    out = []
    for row in rows:
        record = _version_record(row) if row["version"] is not None else {
            "fingerprint": {"digest": row["digest"], "kind": ""}}
        out.append({"name": row["dataset"], "dataset": row["dataset"], "role": row["role"],
                    "direction": row["direction"], "digest": row["digest"], "version": row["input_version"],
                    "cell_id": row["cell_id"], "cell_record": row["cell_record"],
                    "fingerprint": record["fingerprint"]})
    return out


def _has_table(s: Session, table: str) -> bool:
    return s.one("SELECT 1 FROM information_schema.tables WHERE table_name = ?", [table]) is not None


def run_details(s: Session, run_id: str) -> dict[str, Any]:
    """``inputs`` of a run: logged data plus data a tracked cell read or wrote (kernel capture)."""
    inputs = run_inputs(s, run_id)
    seen = {(i["name"], i["digest"], i["direction"]) for i in inputs}
    if _has_table(s, "run_cell_data"):
        for d in s.rows("SELECT dataset, role, digest, kind, fingerprint FROM run_cell_data WHERE run_id = ? "
                        "ORDER BY role, dataset", [run_id]):
            direction = "input" if d["role"] in ("input", "read") else "output"
            if (d["dataset"], d["digest"], direction) in seen:
                continue
            inputs.append({"name": d["dataset"], "role": d["role"], "direction": direction, "digest": d["digest"],
                           "fingerprint": json.loads(d["fingerprint"]) if d["fingerprint"] else
                           {"digest": d["digest"], "kind": d["kind"] or ""}})
    return {"inputs": inputs} if inputs else {}


READERS = {
    "datasets": datasets,
    "dataset_versions": dataset_versions,
    "dataset_version": dataset_version,
    "run_inputs": run_inputs,
    "lineage": lineage,
}
RUN_DETAILS = run_details
