"""``Session.table`` reads through DuckDB's engine call when it can, and gives the same table either way."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from mlm_jupyter.store.session import Session, arrow_table


@pytest.fixture()
def con(tmp_path: Path) -> Any:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE runs (run_id VARCHAR PRIMARY KEY, start DOUBLE, params MAP(VARCHAR, VARCHAR))")
    con.execute("INSERT INTO runs VALUES ('a', 1.5, MAP {'lr': '0.1', 'é': 'ü'}), ('b', 'NaN', MAP {}), "
                "('c', NULL, MAP {'lr': '0.2'})")
    yield con
    con.close()


class _RelationOnly:
    """A connection as DuckDB 1.x's client shows it: no ``_submit``."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.relation_calls = 0

    def sql(self, sql: str, params: Any = None) -> Any:
        self.relation_calls += 1
        return self._con.sql(sql, params=params)


QUERIES = [
    ("SELECT * FROM runs ORDER BY run_id", ()),
    ("SELECT run_id, params['lr'] AS lr FROM runs WHERE params['lr'] = ? ORDER BY run_id", ("0.2",)),
    ("SELECT * FROM runs WHERE start > ? ORDER BY run_id", (100.0,)),  # NaN is above every number
    ("SELECT * FROM runs WHERE start < ?", (0.0,)),  # no rows: still every column
    ("SELECT run_id FROM runs WHERE list_contains(?, run_id) ORDER BY run_id", ([["a", "c"]])),
]


@pytest.mark.parametrize(("sql", "params"), QUERIES)
def test_the_engine_path_and_the_relation_path_read_the_same_table(con: Any, sql: str, params: tuple) -> None:
    fast = Session(con, Path(".")).table(sql, params)
    relation = con.sql(sql, params=list(params) or None).to_arrow_table()
    assert fast.schema == relation.schema
    assert _rows(fast) == _rows(relation)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows with NaN spelled out (NaN != NaN would fail ``Table.equals`` on equal tables)."""
    return [{key: "NaN" if isinstance(value, float) and math.isnan(value) else value for key, value in row.items()}
            for row in table.to_pylist()]


def test_a_client_without_submit_reads_through_the_relation(con: Any) -> None:
    old_client = _RelationOnly(con)
    table = arrow_table(old_client, "SELECT run_id FROM runs WHERE start >= ? ORDER BY run_id", [1.0])
    assert old_client.relation_calls == 1
    assert table.column("run_id").to_pylist() == ["a", "b"]  # NaN sorts above every number in DuckDB


def test_a_bad_statement_raises_duckdbs_own_error(con: Any) -> None:
    with pytest.raises(duckdb.Error, match="no_such_table"):
        arrow_table(con, "SELECT * FROM no_such_table")
    with pytest.raises(duckdb.Error):
        arrow_table(con, "SELECT * FROM runs WHERE run_id = ?", [])  # a parameter missing


def test_a_registered_arrow_table_is_readable(con: Any) -> None:
    con.register("incoming", pa.table({"x": [3, 1, 2]}))
    try:
        assert arrow_table(con, "SELECT x FROM incoming ORDER BY x").column("x").to_pylist() == [1, 2, 3]
    finally:
        con.unregister("incoming")
