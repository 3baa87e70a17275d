"""Reading what ``mlm serve`` logged: (row id, version) of every inference row of a model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def logged_ids(store: Path, name: str) -> Counter[tuple[str, int]]:
    """How many times each ``(row id, version)`` was logged for ``name``."""
    import duckdb

    pattern = store / "monitoring" / "inference" / f"model={name}" / "*" / "*" / "*.parquet"
    if not list(store.glob(f"monitoring/inference/model={name}/*/*/*.parquet")):
        return Counter()
    rows = duckdb.sql(f"SELECT __id, version FROM read_parquet('{pattern}', hive_partitioning=true)").fetchall()
    return Counter((str(row_id), int(version)) for row_id, version in rows)
