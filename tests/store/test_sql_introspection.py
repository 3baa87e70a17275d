"""Read-only SQL reads the store's tables, not the server's settings, paths, files or environment (issue 11, item 5)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest

from mlm_jupyter.core.errors import InvalidInputError, PermissionDeniedError
from mlm_jupyter.store.contract import Op, WriteBatch
from mlm_jupyter.store.duckdb_store import DuckDbStore

LEAKY = [
    "SELECT * FROM duckdb_settings()",
    "SELECT name, value FROM duckdb_settings() WHERE name = 'allowed_paths'",
    "SELECT current_setting('temp_directory')",
    "SELECT current_setting('allowed_paths')",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM duckdb_databases",
    "SELECT path FROM duckdb_databases() WHERE NOT internal",
    "SELECT * FROM pragma_database_list",
    "SELECT * FROM pragma_database_list()",
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM duckdb_settings() s JOIN runs r ON true",
    "SELECT (SELECT max(value) FROM duckdb_settings())",
    "SELECT list_transform([1], x -> current_setting('temp_directory'))",
    "SELECT list_transform([1], lambda x: current_setting('temp_directory'))",
    "WITH s AS (SELECT * FROM duckdb_settings()) SELECT * FROM s",
    "SELECT * FROM query('SELECT current_setting(''temp_directory'')')",
    "SELECT * FROM query_table('duckdb_settings')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_text('/proc/self/environ')",
    "SELECT getenv('HOME')",
    "SELECT * FROM which_secret('s3://bucket/x', 's3')",
    "SELECT * FROM pragma_platform()",
    "SELECT * FROM system.main.duckdb_settings()",
    "SELECT * FROM pg_catalog.pg_settings",
    "EXPLAIN SELECT current_setting('temp_directory')",
    "EXPLAIN ANALYZE SELECT * FROM duckdb_databases()",
    "SELECT 1 UNION ALL SELECT current_setting('temp_directory')",
    "SELECT * FROM runs WHERE name = current_setting('temp_directory')",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDbStore]:
    opened = DuckDbStore(tmp_path / "store")
    opened.write(WriteBatch.of(Op("create_run", {"run_id": "r1", "experiment": "e", "name": "r1",
                                                 "start_time": time.time(), "owner": "test"})))
    yield opened
    opened.close()


@pytest.mark.parametrize("statement", LEAKY)
def test_introspection_and_files_are_refused(store: DuckDbStore, statement: str) -> None:
    with pytest.raises((PermissionDeniedError, InvalidInputError)) as error:
        store.sql(statement)
    assert str(store.directory) not in str(error.value)  # nor does the refusal itself name a server path
    assert "/root" not in str(error.value)


def test_ordinary_queries_still_work(store: DuckDbStore) -> None:
    assert store.sql("SELECT id FROM runs WHERE name = ?", ["r1"]).column("id").to_pylist() == ["r1"]
    assert store.sql("SELECT * FROM main.runs r JOIN mlm.main.experiments e ON r.experiment_id = e.id").num_rows == 1
    assert store.sql("WITH x AS (SELECT id FROM runs) SELECT count(*) AS n FROM x").column("n").to_pylist() == [1]
    assert store.sql("SELECT * FROM range(10) t, unnest([1, 2]) u", max_rows=3).num_rows == 3
    assert "runs" in store.sql("SELECT table_name FROM information_schema.tables").column("table_name").to_pylist()
    assert store.sql("SELECT upper(name), list_transform([1, 2], lambda x: x + 1) AS l FROM runs").num_rows == 1
    assert store.sql("EXPLAIN SELECT * FROM runs").num_rows >= 1
    assert store.sql("SELECT version()").num_rows == 1  # the DuckDB version is no secret


def test_the_refusal_says_what_is_allowed(store: DuckDbStore) -> None:
    with pytest.raises(PermissionDeniedError, match=r"current_setting.*store's own tables"):
        store.sql("SELECT current_setting('temp_directory')")
    with pytest.raises(PermissionDeniedError, match=r"duckdb_databases"):
        store.sql("SELECT * FROM duckdb_databases")
