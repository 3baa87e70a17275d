"""Numbered SQL migrations and the schema version table.

Files ``migrations/NNNN_name.sql`` are applied in order, each in its own
transaction, and recorded in ``schema_version``. A store written by a newer
release (a version above the highest we know) is refused rather than
misread.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from mlm_jupyter.core.errors import SchemaTooNewError
from mlm_jupyter.store.session import first_row

__all__ = ["Migration", "current_version", "known_migrations", "migrate"]

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def known_migrations() -> list[Migration]:
    """Every migration shipped with this release, in order."""
    found = []
    for entry in resources.files("mlm_jupyter.store.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def current_version(con: Any) -> int:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at DOUBLE NOT NULL)")
    row = first_row(con, "SELECT coalesce(max(version), 0) FROM schema_version")
    return int(row[0]) if row else 0


def migrate(con: Any, *, upto: int | None = None) -> int:
    """Bring the schema up to date (or up to ``upto``); returns the final version."""
    version = current_version(con)
    migrations = known_migrations()
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise SchemaTooNewError(
            f"this store has schema version {version}, but this mlm-jupyter knows only up to {newest}. "
            "Upgrade mlm-jupyter (pip install -U mlm-jupyter) to open it; nothing was changed.",
            store_version=version, known_version=newest)
    applied = {int(row[0]) for row in con.execute("SELECT version FROM schema_version").fetchall()}
    for migration in migrations:
        # apply every known migration not yet recorded, even one numbered below the newest
        # applied (a store made by a build that lacked it must still get its tables)
        if migration.version in applied or (upto is not None and migration.version > upto):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                        [migration.version, migration.name, time.time()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        version = max(version, migration.version)
    return version
